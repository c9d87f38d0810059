"""The supervisor with the real mock runner process: loading, keep-alive, faults, shutdown."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from tollama.core.config import Paths
from tollama.core.errors import ForecastTimeout, RunnerUnavailable
from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest, ResolvedSnapshot
from tollama.daemon.spawn import make_spawn
from tollama.daemon.supervisor import Supervisor

MOCK = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")
REQUEST = {"model": "mock", "horizon": 2, "series": [{"id": "s1", "target": [1.0, 4.0]}]}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _run(tmp_path, scenario, timeout=30.0, keep_alive=300.0):
    async def main():
        supervisor = Supervisor(make_spawn(Paths(tmp_path)), timeout=timeout, default_keep_alive=keep_alive)
        try:
            return await scenario(supervisor)
        finally:
            await supervisor.close()

    return asyncio.run(main())


async def _forecast(supervisor, request=REQUEST, keep_alive=None):
    async with supervisor.lease(MOCK, keep_alive) as lease:
        return await lease.forecast(request), lease.load_duration


def test_model_loads_once_and_stays_loaded(tmp_path):
    async def scenario(sup):
        first, load1 = await _forecast(sup)
        _second, load2 = await _forecast(sup)
        return first, load1, load2, sup.loaded_models()

    first, load1, load2, loaded = _run(tmp_path, scenario)
    assert first["forecasts"][0]["mean"] == [4.0, 4.0]
    assert load1 > 0 and load2 == 0
    assert [m.name for m in loaded] == ["mock"] and loaded[0].expires_at is not None


def test_a_model_pulled_again_is_loaded_again_from_its_new_snapshot(tmp_path):
    repulled = MOCK.model_copy(update={"resolved": ResolvedSnapshot(commit_sha="b" * 40, snapshot_path="/snap/b")})

    async def scenario(sup):
        loads = []
        for manifest in (MOCK, MOCK, repulled, repulled):
            async with sup.lease(manifest, None) as lease:
                await lease.forecast(REQUEST)
                loads.append(lease.load_duration > 0)
        return loads, sup.loaded_models()

    loads, loaded = _run(tmp_path, scenario)
    assert loads == [True, False, True, False]
    assert [m.name for m in loaded] == ["mock"]


def test_keep_alive_zero_unloads_now_and_negative_never_expires(tmp_path):
    async def scenario(sup):
        await _forecast(sup, keep_alive=0)
        await asyncio.sleep(0)  # let the zero-delay expiry callback run
        for _ in range(50):
            if not sup.loaded_models():
                break
            await asyncio.sleep(0.01)
        after_zero = sup.loaded_models()
        await _forecast(sup, keep_alive=-1)
        return after_zero, sup.loaded_models()

    after_zero, after_never = _run(tmp_path, scenario)
    assert after_zero == []
    assert [m.name for m in after_never] == ["mock"] and after_never[0].expires_at is None


def test_runner_killed_between_requests_is_replaced(tmp_path):
    async def scenario(sup):
        await _forecast(sup)
        old_pid = sup.runner_pid("mock")
        os.kill(old_pid, signal.SIGKILL)
        for _ in range(200):
            if sup.runner_pid("mock") is None:
                break
            await asyncio.sleep(0.01)
        result, load = await _forecast(sup)
        return old_pid, sup.runner_pid("mock"), result, load, sup.restarts

    old_pid, new_pid, result, load, restarts = _run(tmp_path, scenario)
    assert new_pid != old_pid and result["forecasts"][0]["mean"] == [4.0, 4.0]
    assert load > 0 and restarts == {"mock": 1}


def test_hung_runner_times_out_is_killed_and_the_next_request_is_served(tmp_path):
    slow = {**REQUEST, "options": {"delay_seconds": 60}}

    async def scenario(sup):
        await _forecast(sup)
        old_pid = sup.runner_pid("mock")
        with pytest.raises(ForecastTimeout, match="within 1s"):
            await _forecast(sup, slow)
        gone = not _pid_alive(old_pid)
        result, _ = await _forecast(sup)
        return gone, result

    gone, result = _run(tmp_path, scenario, timeout=1.0)
    assert gone and result["forecasts"][0]["mean"] == [4.0, 4.0]


def test_crash_mid_request_reports_the_exit_and_stderr(tmp_path):
    crash = {**REQUEST, "options": {"exit_code": 3}}

    async def scenario(sup):
        with pytest.raises(RunnerUnavailable, match="exited with code 3") as info:
            await _forecast(sup, crash)
        result, _ = await _forecast(sup)
        return info.value.message, result

    message, result = _run(tmp_path, scenario)
    assert "mock runner" in message
    assert result["forecasts"][0]["mean"] == [4.0, 4.0]


def test_several_requests_in_flight_on_one_runner(tmp_path):
    slow = {**REQUEST, "options": {"delay_seconds": 3}}

    async def scenario(sup):
        await _forecast(sup)
        slow_task = asyncio.create_task(_forecast(sup, slow))
        fast, _ = await _forecast(sup)
        overtaken = not slow_task.done()
        slow_result, _ = await slow_task
        return overtaken, fast, slow_result

    overtaken, fast, slow_result = _run(tmp_path, scenario)
    assert overtaken  # the quick request was answered while the slow one was still running
    assert fast["forecasts"][0]["mean"] == slow_result["forecasts"][0]["mean"] == [4.0, 4.0]


def test_close_leaves_no_runner_process(tmp_path):
    async def scenario(sup):
        await _forecast(sup)
        return sup.runner_pid("mock")

    pid = _run(tmp_path, scenario)
    assert not _pid_alive(pid)
