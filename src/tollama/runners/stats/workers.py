"""statsforecast's worker processes, forked from a warm fork server instead of the runner.

statsforecast opens a process pool for every multi-series call (``n_jobs``). Forking the runner
itself hangs: its main thread is blocked reading stdin, and each forked worker closes its copy
of stdin (multiprocessing does) and waits forever on the lock that read holds. A fork server is
a single-threaded process with statsforecast already imported, so workers start in
milliseconds and inherit no held lock. The runner's process group includes it, so the daemon's
kill of the runner takes it and its workers along.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver

# Each worker re-runs the runner's main module (multiprocessing's rule); preloading what it
# imports (statsforecast, pandas, pydantic, tollama) saves that import in every worker of every
# request (measured: 2.4 s per pool on 2 busy cores). Not the main module itself: runpy warns
# when the module it runs as ``__mp_main__`` is already imported under its own name.
PRELOAD = ["tollama.runners.loop", "tollama.runners.stats.adapter"]


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
