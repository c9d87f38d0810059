"""Single-flight pulls: concurrent pulls of one model share one download and its events.

The first pull of a model starts a job (a task draining the pull's event stream); later pulls of
the same model join it, first receiving the latest event of each status (so a bar starts where the
download is), then every new event, then the same end. When the last listener leaves (clients
disconnected) the job is cancelled, which stops the download; ``close`` cancels all at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from tollama.core.errors import TollamaError

Event = dict[str, Any]
_END = object()


class PullJob:
    """One running event stream fanned out to any number of listeners."""

    def __init__(self, source: AsyncIterator[Event]) -> None:
        self.latest: dict[str, Event] = {}
        self.outcome: object = None  # _END, or the exception the stream ended with
        self.listeners: set[asyncio.Queue[object]] = set()
        self.task = asyncio.ensure_future(self._pump(source))

    @property
    def is_joinable(self) -> bool:
        return self.outcome is None and not self.task.done() and not self.task.cancelling()

    async def _pump(self, source: AsyncIterator[Event]) -> None:
        try:
            async for event in source:
                self.latest[str(event.get("status", ""))] = event
                for queue in self.listeners:
                    queue.put_nowait(event)
            self._finish(_END)
        except asyncio.CancelledError:
            self._finish(TollamaError("the pull was cancelled"))
            raise
        except Exception as exc:
            self._finish(exc)

    def _finish(self, outcome: object) -> None:
        self.outcome = outcome
        for queue in self.listeners:
            queue.put_nowait(outcome)

    async def listen(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue[object] = asyncio.Queue()
        for event in self.latest.values():
            queue.put_nowait(event)
        if self.outcome is not None:
            queue.put_nowait(self.outcome)
        self.listeners.add(queue)
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if isinstance(item, TollamaError):
                    raise type(item)(item.message, headers=item.headers)
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            self.listeners.discard(queue)
            if not self.listeners and not self.task.done():
                self.task.cancel()


class PullJobs:
    """The running jobs, one per model name."""

    def __init__(self) -> None:
        self._jobs: dict[str, PullJob] = {}

    def is_running(self, name: str) -> bool:
        job = self._jobs.get(name)
        return job is not None and job.is_joinable

    async def run(self, name: str, start: Callable[[], AsyncIterator[Event]]) -> AsyncIterator[Event]:
        """Join the model's running job, or start one from ``start()``; yield its events."""
        job = self._jobs.get(name)
        if job is None or not job.is_joinable:
            job = PullJob(start())
            self._jobs[name] = job
            job.task.add_done_callback(lambda _: self._forget(name, job))
        async with contextlib.aclosing(job.listen()) as events:  # leaving now, not at GC, stops the job
            async for event in events:
                yield event

    def _forget(self, name: str, job: PullJob) -> None:
        if self._jobs.get(name) is job:
            del self._jobs[name]

    async def close(self) -> None:
        jobs = list(self._jobs.values())
        for job in jobs:
            job.task.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job.task
