"""Runner processes and their workers die with their parent: no orphans computing for minutes.

A daemon killed with SIGKILL cannot stop its runners, and a runner killed so cannot stop the
fork server and pool workers under it. Two mechanisms, so each process has one at least:

- Linux's parent-death signal (``prctl(PR_SET_PDEATHSIG)``, through ctypes): the kernel sends
  SIGKILL the moment the parent exits. Each process arms it for itself: the runner (parent:
  the daemon) and each stats pool worker (parent: the fork server; the fork server itself
  exits when the runner's end of its ``alive`` pipe closes, multiprocessing's own watchdog).
- Elsewhere: the runner's stdin is the daemon's pipe, so its end of file means the daemon is
  gone (``runners.loop`` then cancels everything and exits), and a worker runs ``watch_parent``,
  a thread that exits the process once its parent pid changes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading

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


def watch_parent(interval: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """A daemon thread that ends this process (``os._exit``) once its parent is gone."""
    parent = os.getppid()

    def watch() -> None:
        while not _stop.wait(interval):
            if os.getppid() != parent:
                os._exit(1)

    _stop = threading.Event()
    thread = threading.Thread(target=watch, name="parent-watchdog", daemon=True)
    thread.start()
    return thread


def guard_worker() -> None:
    """Pool initializer: the parent-death signal where there is one, else the watchdog thread."""
    if not die_with_parent():
        watch_parent()
