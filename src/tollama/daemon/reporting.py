"""Work that reports lines while it runs, handed on as they come: the shape of every long route.

A backtest, a derived model's forecast or a download runs as a task that calls ``report(line)``;
the route's event stream yields those lines while the task runs, then the task's result. Closing
the stream (the client left) cancels the task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Report = Callable[[dict[str, Any]], None]


class Reporting(Generic[T]):
    """``async for line in reporting.lines()``, then ``reporting.result``."""

    def __init__(self, work: Callable[[Report], Awaitable[T]]) -> None:
        self._work = work
        self.result: T

    async def lines(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        task = asyncio.ensure_future(self._work(queue.put_nowait))
        try:
            while not task.done() or not queue.empty():
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            self.result = task.result()
        finally:
            task.cancel()
