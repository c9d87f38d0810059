"""Runner faults: start-up crashes with stderr and stdout garbage, crash-loop backoff, hellos that hang."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tollama.core.config import Paths
from tollama.core.errors import RunnerUnavailable
from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest
from tollama.daemon.backoff import StartBackoff
from tollama.daemon.runner_process import RunnerProcess
from tollama.daemon.spawn import make_spawn, runner_env
from tollama.daemon.supervisor import Supervisor

MOCK = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")
REQUEST = {"model": "mock", "horizon": 2, "series": [{"id": "s1", "target": [1.0, 4.0]}]}
CRASHING = "import sys; print('usage: not a tollama runner'); sys.stderr.write('boom: no such library\\n'); sys.exit(3)"
GARBAGE_THEN_HANG = "import sys, time; print('loading weights...', flush=True); time.sleep(60)"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_runner_that_exits_at_start_is_reported_and_restarts_back_off(tmp_path):
    clock = FakeClock()
    spawned: list[str] = []
    spawn_real = make_spawn(Paths(tmp_path), command_for=lambda family: [sys.executable, "-c", CRASHING])

    async def spawn(family: str) -> RunnerProcess:
        spawned.append(family)
        return await spawn_real(family)

    async def attempt(supervisor: Supervisor) -> RunnerUnavailable:
        with pytest.raises(RunnerUnavailable) as err:
            async with supervisor.lease(MOCK, None) as lease:
                await lease.forecast(REQUEST)
        return err.value

    async def scenario():
        supervisor = Supervisor(spawn, timeout=30, default_keep_alive=60, backoff=StartBackoff(clock=clock))
        try:
            first = await attempt(supervisor)
            paused = await attempt(supervisor)  # within the pause: no new process
            clock.now += 1.5
            second = await attempt(supervisor)  # the pause is over: one more try, then 2s
            paused_again = await attempt(supervisor)
            return first, paused, second, paused_again, supervisor.runner_statuses()
        finally:
            await supervisor.close()

    first, paused, second, paused_again, statuses = asyncio.run(scenario())
    assert "mock runner exited with code 3" in first.message
    assert "boom: no such library" in first.message
    assert "[stdout garbage] not JSON: usage: not a tollama runner" in first.message
    assert "failed to start 1 times in a row; next try in 1s" in paused.message
    assert paused.headers == {"Retry-After": "1"}
    assert "exited with code 3" in second.message
    assert "failed to start 2 times in a row; next try in 2s" in paused_again.message
    assert spawned == ["mock", "mock"]
    assert statuses == [
        {"family": "mock", "status": "failed to start", "restarts": 0, "error": second.message},
    ]


def test_a_runner_that_prints_garbage_and_never_says_hello_is_killed_with_its_output(tmp_path):
    async def scenario():
        runner = RunnerProcess(
            "mock", [sys.executable, "-c", GARBAGE_THEN_HANG], runner_env(), tmp_path / "runner.log", hello_timeout=1
        )
        with pytest.raises(RunnerUnavailable) as err:
            await runner.start()
        return err.value, runner.pid

    error, pid = asyncio.run(scenario())
    assert "did not answer hello within 1s" in error.message
    assert "[stdout garbage] not JSON: loading weights..." in error.message
    assert pid is not None and not _pid_alive(pid)


def test_a_good_start_clears_the_backoff(tmp_path):
    clock = FakeClock()
    backoff = StartBackoff(clock=clock)
    backoff.failed("mock", "exited with code 3")
    with pytest.raises(RunnerUnavailable):
        backoff.check("mock")

    async def scenario():
        clock.now += 1.5
        supervisor = Supervisor(make_spawn(Paths(tmp_path)), timeout=30, default_keep_alive=60, backoff=backoff)
        try:
            async with supervisor.lease(MOCK, None) as lease:
                return await lease.forecast(REQUEST)
        finally:
            await supervisor.close()

    assert asyncio.run(scenario())["forecasts"][0]["mean"] == [4.0, 4.0]
    backoff.check("mock")  # cleared: no pause after a successful load
    assert backoff.failing() == {}
