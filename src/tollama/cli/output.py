"""How the CLI speaks: data to stdout, errors to stderr, progress bars, and exit codes.

Commands never call ``sys.exit``: ``handle_errors`` turns a ``TollamaError`` into
``Error: <message>`` on stderr and the exit code its class carries.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from tollama.core.errors import TollamaError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # never wrap messages mid-line


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    try:
        yield
    except TollamaError as exc:
        err_console.print(f"Error: {exc.message}", markup=False)
        raise typer.Exit(code=exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        raise typer.Exit(code=130) from None


def print_json(data: Any) -> None:
    """Plain JSON on stdout (no colour codes), for scripts and agents."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_table(columns: list[str], rows: Iterable[list[Any]]) -> None:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")  # long values (paths) wrap, never get cut
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


def human_size(size: int | None) -> str:
    if not size:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def human_ago(timestamp: str | None) -> str:
    """``2 hours ago`` as ``ollama list`` prints it."""
    if not timestamp:
        return "-"
    try:
        then = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - then).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "just now" if seconds < 5 else f"{seconds} seconds ago"


def human_until(timestamp: str | None) -> str:
    """``in 4 minutes``, ``in 1 hour``, ``Forever`` (never unloads) or ``now``."""
    if not timestamp:
        return "Forever"
    try:
        then = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    seconds = int((then - datetime.now(UTC)).total_seconds())
    if seconds <= 0:
        return "now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            n = seconds // size
            return f"in {n} {unit}{'s' if n > 1 else ''}"
    return "now"


class PullProgress:
    """Draw Ollama-style pull events: status lines in order, a byte bar per file between them.

    Bars show size, speed and time left; a status line after them (``verifying``) closes the
    bar block so the output reads top to bottom as the pull went, as ``ollama pull`` does.
    """

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._last_status: str | None = None

    def __enter__(self) -> PullProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close_bars()

    def update(self, event: dict[str, Any]) -> None:
        status = str(event.get("status", ""))
        if "total" in event:
            self._bar(status, event)
        elif status and status != self._last_status:
            self._close_bars()
            err_console.print(status, markup=False, highlight=False)
        self._last_status = status

    def _bar(self, status: str, event: dict[str, Any]) -> None:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=err_console,
                transient=False,
            )
            self._progress.start()
            self._tasks = {}
        task = self._tasks.get(status)
        total = event.get("total") or None
        if task is None:
            task = self._tasks[status] = self._progress.add_task(status, total=total)
        self._progress.update(task, total=total, completed=event.get("completed", 0))

    def _close_bars(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@contextlib.contextmanager
def spinner(text: str, enabled: bool = True) -> Iterator[Any]:
    """A transient status spinner on stderr; yields a function to change its text."""
    if not enabled:
        yield lambda _text: None
        return
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err_console, transient=True)
    with progress:
        task = progress.add_task(text, total=None)
        yield lambda new_text: progress.update(task, description=new_text)
