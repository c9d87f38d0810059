"""A forecast on its runner while the daemon listens: progress out as events, the client watched.

Long work (stats-ensemble over 1,428 series) reports progress per chunk: each report becomes a
``{"status": "forecasting", "completed", "total", "done": false}`` line of a streamed answer
(and restarts the runner's no-progress timeout, ``daemon.runner_process``). The client is
watched the whole time: when it hangs up, the runner call is cancelled, which sends the runner
a ``cancel`` (its work and its workers stop) and the request is never retried elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from tollama.core.errors import ClientDisconnected
from tollama.daemon.admission import ClientGone
from tollama.daemon.supervisor import Lease


class ClientWatch:
    """Resolves once the client hangs up; ``gone`` says whether it has."""

    def __init__(self, client_gone: ClientGone | None) -> None:
        self.task: asyncio.Future[None] | None = asyncio.ensure_future(client_gone()) if client_gone else None

    @property
    def gone(self) -> bool:
        task = self.task
        return task is not None and task.done() and not task.cancelled() and task.exception() is None

    def check(self) -> None:
        if self.gone:
            raise ClientDisconnected("the client went away; its forecast was cancelled")

    def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


class ForecastRun:
    """One runner call for a forecast: ``events()`` yields its progress, then ``result`` is set."""

    def __init__(self, lease: Lease, payload: Any, watch: ClientWatch) -> None:
        self.lease = lease
        self.payload = payload
        self.watch = watch
        self.result: dict[str, Any] | None = None

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Progress events while the call runs; raises what the call raises, or on a client gone."""
        reports: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        call = asyncio.ensure_future(
            self.lease.forecast(self.payload, on_progress=lambda done, total: reports.put_nowait((done, total)))
        )
        try:
            while not call.done():
                report = asyncio.ensure_future(reports.get())
                waiting: set[asyncio.Future[Any]] = {call, report}
                if self.watch.task is not None:
                    waiting.add(self.watch.task)
                try:
                    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not report.done():
                        report.cancel()
                self.watch.check()
                taken = [report.result()] if report.done() and not report.cancelled() else []
                while not reports.empty():
                    taken.append(reports.get_nowait())
                for done, total in taken:
                    yield {"status": "forecasting", "completed": done, "total": total, "done": False}
            self.result = call.result()
        finally:
            if not call.done():
                call.cancel()  # the runner hears a cancel for it (RunnerProcess.call)
            elif not call.cancelled():
                call.exception()  # retrieved: an error nobody waits for any more is not logged as lost
