"""``tollama run``'s stream on stderr: the status on a spinner, then a bar with ETA for long work.

A forecast streams ``{"status": ...}`` lines while its model loads, then, from a runner that
reports progress (stats models, per chunk of series), ``{"status": "forecasting",
"completed", "total"}`` lines: the spinner becomes a bar with the count, the time spent and
the time left. Drawn only on a terminal; Ctrl-C closes the connection, which cancels the work.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tollama.cli.output import err_console


class ForecastProgress:
    """``with ForecastProgress() as progress: progress.update(event)`` for each stream event."""

    def __init__(self, console: Console | None = None, enabled: bool | None = None) -> None:
        self.console = console or err_console
        self.enabled = self.console.is_terminal if enabled is None else enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ForecastProgress:
        if self.enabled:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("sending request", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def update(self, event: dict[str, Any]) -> None:
        """Show a stream event: its status, and its count when it has one."""
        if self._progress is None or self._task is None or "status" not in event:
            return
        total, completed = event.get("total"), event.get("completed")
        if isinstance(total, int) and isinstance(completed, int) and total > 0:
            self._progress.update(
                self._task, description=str(event["status"]), total=total, completed=completed, refresh=True
            )
        else:
            self._progress.update(self._task, description=str(event["status"]))
