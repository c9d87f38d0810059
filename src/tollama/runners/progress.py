"""What an adapter call knows about the requests it serves: report progress, notice a cancel.

Long work (a stats model over 1,428 series) must show the daemon it is moving, or the daemon's
no-progress timeout takes it for hung; and work whose client left must stop, workers included.
The loop gives each adapter call a ``Work`` (``current()`` inside the call, so adapters keep
their ``forecast(model, request)`` signature): ``report(completed, total)`` after each chunk,
``check()`` between chunks, ``on_cancel(hook)`` for what cannot check (a process pool to
terminate). Outside a call ``current()`` is a ``Work`` that reports nowhere and never cancels.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from tollama.core.errors import ClientDisconnected

Report = Callable[[int, int], None]


class Work:
    """One adapter call: where its progress goes and whether it was cancelled."""

    def __init__(self, report: Report | None = None) -> None:
        self._report = report
        self._lock = threading.Lock()
        self._hooks: list[Callable[[], None]] = []
        self.cancelled = threading.Event()

    def report(self, completed: int, total: int) -> None:
        """``completed`` of ``total`` units (series, chunks) done; errors reporting never stop work."""
        if self._report is not None and not self.cancelled.is_set():
            with contextlib.suppress(Exception):
                self._report(completed, total)

    def check(self) -> None:
        """Raise ``ClientDisconnected`` once the work was cancelled (call it between chunks)."""
        if self.cancelled.is_set():
            raise ClientDisconnected("the request was cancelled: its client went away")

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` unless cancelled first (then raise ``ClientDisconnected``)."""
        self.cancelled.wait(seconds)
        self.check()

    def on_cancel(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run ``hook`` on cancel (at once if already cancelled); returns a function that removes it."""
        with self._lock:
            if not self.cancelled.is_set():
                self._hooks.append(hook)
                return lambda: self._remove(hook)
        hook()
        return lambda: None

    def cancel(self) -> None:
        """Mark cancelled and run the hooks (from the loop's reading thread: they must be quick)."""
        with self._lock:
            if self.cancelled.is_set():
                return
            self.cancelled.set()
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            with contextlib.suppress(Exception):
                hook()

    def _remove(self, hook: Callable[[], None]) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._hooks.remove(hook)


class SharedWork(Work):
    """A merged call serving several requests: cancelled only when every one of them is."""

    def __init__(self, parts: list[Work], report: Report | None = None) -> None:
        super().__init__(report)
        self._left = len(parts)
        self._count_lock = threading.Lock()
        for part in parts:
            part.on_cancel(self._one_gone)

    def _one_gone(self) -> None:
        with self._count_lock:
            self._left -= 1
            last = self._left <= 0
        if last:
            self.cancel()


_NOWHERE = Work()
_local = threading.local()


def current() -> Work:
    """The work of the adapter call running on this thread (a no-op one outside any call)."""
    return getattr(_local, "work", None) or _NOWHERE


@contextlib.contextmanager
def working(work: Work) -> Iterator[Work]:
    """Make ``work`` the ``current()`` one on this thread for the block."""
    previous = getattr(_local, "work", None)
    _local.work = work
    try:
        yield work
    finally:
        _local.work = previous
