"""``PullJobs``: one running stream per model, shared by every pull of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tollama.core.errors import ModelNotFound
from tollama.daemon.pull_jobs import PullJobs


class Source:
    """An event stream the test steps through; counts how often it was started."""

    def __init__(self) -> None:
        self.started = 0
        self.step = asyncio.Queue[object]()
        self.closed = asyncio.Event()

    async def events(self) -> AsyncIterator[dict]:
        self.started += 1
        try:
            while True:
                item = await self.step.get()
                if item is None:
                    return
                if isinstance(item, Exception):
                    raise item
                yield {"status": str(item)}
        finally:
            self.closed.set()


async def collect(stream: AsyncIterator[dict], into: list[dict]) -> None:
    async for event in stream:
        into.append(event)


def test_a_second_pull_joins_and_replays_the_latest_events() -> None:
    async def scenario() -> tuple[list[dict], list[dict], int]:
        jobs, source = PullJobs(), Source()
        first: list[dict] = []
        second: list[dict] = []
        first_task = asyncio.ensure_future(collect(jobs.run("m", source.events), first))
        source.step.put_nowait("pulling manifest")
        source.step.put_nowait("pulling weights")
        while len(first) < 2:
            await asyncio.sleep(0)
        assert jobs.is_running("m")
        second_task = asyncio.ensure_future(collect(jobs.run("m", source.events), second))
        await asyncio.sleep(0)
        source.step.put_nowait("success")
        source.step.put_nowait(None)
        await asyncio.gather(first_task, second_task)
        return first, second, source.started

    first, second, started = asyncio.run(scenario())
    assert started == 1
    assert [e["status"] for e in first] == ["pulling manifest", "pulling weights", "success"]
    assert [e["status"] for e in second] == ["pulling manifest", "pulling weights", "success"]


def test_an_error_reaches_every_listener_as_its_own_class() -> None:
    async def scenario() -> list[BaseException | None]:
        jobs, source = PullJobs(), Source()
        tasks = [asyncio.ensure_future(collect(jobs.run("m", source.events), [])) for _ in range(2)]
        await asyncio.sleep(0)
        source.step.put_nowait(ModelNotFound("repo x was not found"))
        return await asyncio.gather(*tasks, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, ModelNotFound) and o.message == "repo x was not found" for o in outcomes)
    assert outcomes[0] is not outcomes[1]


def test_the_job_stops_when_its_last_listener_leaves_and_a_new_pull_starts_fresh() -> None:
    async def scenario() -> tuple[bool, int]:
        jobs, source = PullJobs(), Source()
        listener = jobs.run("m", source.events)
        source.step.put_nowait("pulling weights")
        assert (await anext(listener))["status"] == "pulling weights"
        await listener.aclose()
        await asyncio.wait_for(source.closed.wait(), 5)
        source.closed.clear()
        again = jobs.run("m", source.events)
        source.step.put_nowait("pulling manifest")
        await anext(again)
        await again.aclose()
        return jobs.is_running("m"), source.started

    running, started = asyncio.run(scenario())
    assert not running
    assert started == 2


@pytest.mark.parametrize("close_first", [True, False])
def test_close_cancels_running_jobs(close_first: bool) -> None:
    async def scenario() -> bool:
        jobs, source = PullJobs(), Source()
        listener = jobs.run("m", source.events)
        source.step.put_nowait("pulling weights")
        await anext(listener)
        if close_first:
            await jobs.close()
        else:
            await listener.aclose()
        await asyncio.wait_for(source.closed.wait(), 5)
        return jobs.is_running("m")

    assert asyncio.run(scenario()) is False
