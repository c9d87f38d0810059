"""Give the memory of a large request back to the system once it is answered.

A 1M-point request is hundreds of megabytes of small Python objects while it is parsed and
checked. Freed, they stay in the C allocator's heaps (glibc keeps freed pages, one heap per
thread that parsed), so the daemon's resident memory stays at its high-water mark after the
load ends. ``malloc_trim`` hands the free pages back; it is glibc's, and a no-op elsewhere.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import os
import sys
from collections.abc import Callable

TRIM_AFTER_BYTES = 256 * 1024  # requests and answers smaller than this leave little behind: no trim


ONE_HEAP_MARK = "TOLLAMA_ONE_HEAP"  # set with MALLOC_ARENA_MAX by us: runners do not inherit either


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None


_MALLOC_TRIM = _find_malloc_trim()


def one_heap_env() -> dict[str, str]:
    """What a launcher adds to the daemon's environment so that it need not re-exec itself."""
    if _MALLOC_TRIM is None or "MALLOC_ARENA_MAX" in os.environ:
        return {}
    return {"MALLOC_ARENA_MAX": "1", ONE_HEAP_MARK: "1"}


def exec_with_one_heap() -> None:
    """Restart this daemon process (same pid) with ``MALLOC_ARENA_MAX=1``, once, on glibc.

    Large bodies are parsed in worker threads (off the event loop); glibc gives each thread its
    own heap, which keeps its high-water mark: measured, +15 MB per 1M-point request, never
    returned. With one heap ``malloc_trim`` returns it all, and the GIL serialises these threads
    anyway. glibc reads the setting only at process start (``mallopt`` later did not help).
    """
    extra = one_heap_env()
    if not extra:
        return
    os.environ.update(extra)
    os.execv(sys.executable, [sys.executable, "-m", "tollama.daemon.serve"])


def runner_heap_env(env: dict[str, str]) -> None:
    """Runners (threaded numeric code) keep glibc's default heaps, unless the user chose otherwise."""
    if env.pop(ONE_HEAP_MARK, None):
        env.pop("MALLOC_ARENA_MAX", None)


_pending: asyncio.Task[None] | None = None


def after_large_request(size: int) -> None:
    """Once a request of ``size`` body bytes (in and out) is answered: trim, in a thread, one at a time."""
    global _pending
    if _MALLOC_TRIM is None or size < TRIM_AFTER_BYTES or (_pending is not None and not _pending.done()):
        return
    _pending = asyncio.get_running_loop().create_task(asyncio.to_thread(_collect_and_trim))


def _collect_and_trim() -> None:
    """Collect first: a request's objects in reference cycles (scopes, tracebacks) free only then.

    Cheap: the daemon's start-up objects are frozen out of the collector's sight (serve.py).
    """
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
