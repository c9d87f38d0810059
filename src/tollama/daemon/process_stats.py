"""What ``tollama ps`` shows about a runner process: resident memory and the device it computes on.

RSS comes from psutil (every platform). The device is read from the process's open files on
Linux: a process that created a CUDA context holds ``/dev/nvidia<N>`` open, so "CUDA" means the
runner really uses a GPU now, not that one exists. Where that cannot be read, it is ``None``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil

_NVIDIA_DEVICE = re.compile(r"^/dev/nvidia\d+$")


def rss_bytes(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except (psutil.Error, OSError):
        return None


def compute_device(pid: int | None) -> str | None:
    """``"CUDA"`` when the process holds a GPU device open, ``"CPU"`` otherwise; ``None`` if unknown."""
    if pid is None:
        return None
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return None
    for entry in entries:
        try:
            if _NVIDIA_DEVICE.match(os.readlink(entry)):
                return "CUDA"
        except OSError:
            continue
    return "CPU"
