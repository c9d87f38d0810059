"""Runner processes and their workers die with their parent: no orphans computing for minutes.

A daemon killed with SIGKILL cannot stop its runners, and a runner killed so cannot stop the
fork server and pool workers under it. Two mechanisms, so each process has one at least:

- Linux's parent-death signal (``prctl(PR_SET_PDEATHSIG)``, through ctypes): the kernel sends
  SIGKILL the moment the parent exits. Each process arms it for itself: the runner (parent:
  the daemon), the stats fork server (parent: the runner; ``stats.forkserver_guard``) and each
  stats pool worker (parent: the fork server), so a killed daemon takes the whole chain along.
- Elsewhere (and as a second line): the runner's stdin is the daemon's pipe, so its end of file
  means the daemon is gone (``runners.loop`` then cancels everything and exits), and each
  worker runs ``watch_process`` on its runner, a thread that exits the worker once it is gone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time

logger = logging.getLogger("tollama.runner")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 1.0


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel for ``sig`` when the parent exits (Linux); returns whether it is armed.

    A parent that died just before the call is caught too: the parent pid changed by then.
    """
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if armed and os.getppid() != parent:
        os._exit(1)
    return armed


def watch_process(pid: int, interval: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """A daemon thread that ends this process (``os._exit``) once process ``pid`` is gone."""

    def watch() -> None:
        while True:
            time.sleep(interval)  # a poll of another process's life: there is nothing to wait on
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                continue

    thread = threading.Thread(target=watch, name="runner-watchdog", daemon=True)
    thread.start()
    return thread


def guard_worker(runner: int) -> None:
    """Pool initializer: the parent-death signal (parent: the fork server), and a watchdog on
    the runner itself, which also covers systems without the signal."""
    die_with_parent()
    watch_process(runner)
