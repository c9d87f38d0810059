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


def test_only_local_clients_choose_cache_folder_and_proxies():
    import re
    from pathlib import Path

    from tollama.core.config import TollamaConfig
    from tollama.core.errors import PermissionDenied
    from tollama.core.schemas import PullRequest
    from tollama.daemon.pulling import check_machine_settings

    allowed = TollamaConfig.model_validate({"pull": {"allow_request_settings": True, "allowed_roots": "/srv/hf"}})
    chosen = PullRequest(model="chronos2", hf_home="/srv/hf/fast", https_proxy="http://proxy:1")
    check_machine_settings(chosen, "127.0.0.1", allowed)
    check_machine_settings(chosen, "::1", allowed)
    check_machine_settings(PullRequest(model="chronos2", offline=True), "10.0.0.7")
    with pytest.raises(PermissionDenied, match="hf_home, https_proxy may only be set by clients on the daemon"):
        check_machine_settings(chosen, "10.0.0.7", allowed)
    # Issue 15, point 3: not without the config's consent, and hf_home only inside the allowed roots.
    with pytest.raises(PermissionDenied, match=r"pull\.allow_request_settings true"):
        check_machine_settings(chosen, "127.0.0.1", TollamaConfig())
    for outside in ("/etc", "/srv/hf/../../etc", "/srv/hfx"):
        with pytest.raises(PermissionDenied, match=f"hf_home {re.escape(outside)} is outside the allowed roots"):
            check_machine_settings(PullRequest(model="chronos2", hf_home=outside), "127.0.0.1", allowed)
    home_default = TollamaConfig.model_validate({"pull": {"allow_request_settings": True}})
    check_machine_settings(
        PullRequest(model="chronos2", hf_home="/t/home/hf"), "127.0.0.1", home_default, Path("/t/home")
    )
