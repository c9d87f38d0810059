"""statsforecast's worker processes, forked from a warm fork server instead of the runner.

statsforecast opens a process pool for every multi-series call (``n_jobs``). Forking the runner
itself hangs: its main thread is blocked reading stdin, and each forked worker closes its copy
of stdin (multiprocessing does) and waits forever on the lock that read holds. A fork server is
a single-threaded process with statsforecast already imported, so workers start in
milliseconds and inherit no held lock. The runner's process group includes it, so the daemon's
kill of the runner takes it and its workers along; a daemon killed outright takes them too
(``runners.lifeline``: the fork server dies with the runner, each worker with the fork server,
and a worker also watches the runner's pid where there is no parent-death signal).

A request's series are forecast in chunks on a pool of our own (``map_chunks``), not by
statsforecast's ``n_jobs`` pool: each finished chunk is progress the daemon hears of, and a
cancelled request terminates its pool at once instead of letting workers compute for minutes.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import forkserver
from typing import TypeVar

from tollama.runners.lifeline import guard_worker
from tollama.runners.progress import Work

C = TypeVar("C")
R = TypeVar("R")
CHUNKS_PER_WORKER = 16  # enough chunks for even load and steady progress
POLL_SECONDS = 0.2  # how often a waiting request looks for a cancel

# Each worker re-runs the runner's main module (multiprocessing's rule); preloading what it
# imports (statsforecast, pandas, pydantic, tollama) saves that import in every worker of every
# request (measured: 2.4 s per pool on 2 busy cores). Not the main module itself: runpy warns
# when the module it runs as ``__mp_main__`` is already imported under its own name.
PRELOAD = ["tollama.runners.stats.forkserver_guard", "tollama.runners.loop", "tollama.runners.stats.adapter"]


def use_fork_server() -> None:
    """Make every process pool of this process start its workers from the fork server."""
    multiprocessing.set_start_method("forkserver", force=True)
    multiprocessing.set_forkserver_preload(PRELOAD)


def warm_up() -> None:
    """Start the fork server now (it imports the runner's modules once), not in the first forecast.

    Call it after the runner claimed stdout: the server keeps the file descriptors it starts with.
    A process that did not choose the fork server (tests using the adapter) starts none.
    """
    if multiprocessing.get_start_method(allow_none=True) == "forkserver":
        forkserver.ensure_running()


def worker_count() -> int:
    """Every core this process may use (statsforecast's ``n_jobs=-1`` counted the same)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunk_size(series: int, workers: int, most: int) -> int:
    """Series per chunk: ``CHUNKS_PER_WORKER`` chunks per worker, at most ``most``."""
    return max(1, min(most, -(-series // (workers * CHUNKS_PER_WORKER))))


def map_chunks(fn: Callable[[C], R], chunks: Sequence[C], work: Work) -> Iterator[tuple[int, R]]:
    """``(index, fn(chunk))`` for every chunk, in the order they finish.

    Several chunks in a process that chose the fork server run on a pool of its workers, one
    chunk per task; otherwise (one chunk, or an adapter used in-process by tests) on this
    thread. Between results the request's ``work`` is checked: a cancel raises
    ``ClientDisconnected`` here, and leaving the ``with`` terminates the workers mid-chunk.
    """
    if len(chunks) <= 1 or multiprocessing.get_start_method(allow_none=True) != "forkserver":
        for index, chunk in enumerate(chunks):
            work.check()
            yield index, fn(chunk)
        return
    processes = min(worker_count(), len(chunks))
    with multiprocessing.Pool(processes, initializer=guard_worker, initargs=(os.getpid(),)) as pool:
        results = pool.imap_unordered(_Indexed(fn), enumerate(chunks))
        for _ in chunks:
            while True:
                try:
                    yield results.next(timeout=POLL_SECONDS)
                    break
                except multiprocessing.TimeoutError:
                    work.check()


class _Indexed:
    """``fn`` applied to ``(index, chunk)``, keeping the index (picklable, unlike a closure)."""

    def __init__(self, fn: Callable[[C], R]) -> None:
        self.fn = fn

    def __call__(self, item: tuple[int, C]) -> tuple[int, R]:
        return item[0], self.fn(item[1])
