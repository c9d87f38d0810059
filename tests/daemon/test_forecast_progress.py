"""The forecast service with a fake runner lease: progress lines, cancel on a client gone, no retry for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tollama.core.errors import ClientDisconnected, RunnerUnavailable
from tollama.core.registry import get_spec
from tollama.core.schemas import ForecastRequest, ModelManifest
from tollama.core.store import ModelStore
from tollama.daemon.forecasting import ForecastService

MANIFEST = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")
REQUEST = {"model": "mock", "horizon": 2, "series": [{"id": "s", "target": [1.0, 2.0]}]}
ANSWER = {"forecasts": [{"id": "s", "mean": [2.0, 2.0]}]}


class FakeLease:
    batches = False
    load_duration = 0

    def __init__(self, runner: FakeSupervisor) -> None:
        self.runner = runner

    async def forecast(self, payload: Any, on_progress: Any = None) -> dict[str, Any]:
        return await self.runner.behaviour(on_progress)


class FakeSupervisor:
    default_keep_alive = 60.0

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour
        self.leases = 0

    @contextlib.asynccontextmanager
    async def lease(self, manifest: ModelManifest, keep_alive: float | None) -> AsyncIterator[FakeLease]:
        self.leases += 1
        yield FakeLease(self)


def _service(tmp_path, behaviour) -> tuple[ForecastService, FakeSupervisor]:
    store = ModelStore(tmp_path)
    store.put(MANIFEST)
    supervisor = FakeSupervisor(behaviour)
    return ForecastService(store, supervisor, lambda: "mock"), supervisor  # type: ignore[arg-type]


async def _collect(service: ForecastService, client_gone=None) -> list[dict[str, Any]]:
    return [event async for event in service.events(ForecastRequest.model_validate(REQUEST), client_gone=client_gone)]


def test_runner_progress_becomes_forecasting_lines(tmp_path):
    async def behaviour(on_progress):
        for done in (1, 2, 3):
            await asyncio.sleep(0)
            on_progress(done, 3)
        await asyncio.sleep(0)
        return ANSWER

    service, _ = _service(tmp_path, behaviour)
    events = asyncio.run(_collect(service))
    progress = [e for e in events if "completed" in e]
    assert progress == [{"status": "forecasting", "completed": n, "total": 3, "done": False} for n in (1, 2, 3)]
    assert events[-1]["done"] is True and events[-1]["forecasts"][0]["mean"] == [2.0, 2.0]


def test_a_request_whose_client_left_is_not_retried_on_another_runner(tmp_path):
    left = asyncio.Event()

    async def client_gone() -> None:
        await left.wait()

    async def behaviour(on_progress):
        left.set()  # the client hangs up while the runner dies, before it started the request
        await asyncio.sleep(0)
        error = RunnerUnavailable("the mock runner exited with code -9")
        error.request_started = False
        raise error

    service, supervisor = _service(tmp_path, behaviour)
    with pytest.raises((RunnerUnavailable, ClientDisconnected)):
        asyncio.run(_collect(service, client_gone))
    assert supervisor.leases == 1


def test_a_client_that_leaves_cancels_the_runner_call(tmp_path):
    left = asyncio.Event()
    cancelled = asyncio.Event()

    async def client_gone() -> None:
        await left.wait()

    async def behaviour(on_progress):
        on_progress(1, 10)
        left.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return ANSWER

    async def scenario() -> None:
        service, _ = _service(tmp_path, behaviour)
        with pytest.raises(ClientDisconnected):
            await asyncio.wait_for(_collect(service, client_gone), 10)
        await asyncio.wait_for(cancelled.wait(), 10)

    asyncio.run(scenario())
