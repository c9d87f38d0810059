"""What every torch-based family shares: device, dtype, threads and batch size from the request.

Runners of the torch, timesfm, uni2ts, sundial and toto families read ``options.device``
(``cpu`` default, ``cuda``, ``auto``), ``options.dtype`` (``float32`` default, ``bfloat16``,
``float16``) and ``options.batch_size`` through these helpers, so the same option means the same
thing in every family and a bad value is the same 400. torch is imported lazily: this module is
importable (and its parsing testable) where torch is not installed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from tollama.core.config import env
from tollama.core.errors import InvalidRequest

if TYPE_CHECKING:
    import torch

DEVICES = ("cpu", "cuda", "auto")
DTYPES = ("float32", "bfloat16", "float16")
DEFAULT_BATCH_SIZE = 256
MAX_BATCH_SIZE = 65536
T = TypeVar("T")


def device_option(options: dict[str, Any]) -> str:
    """``options.device`` checked; ``auto`` becomes ``cuda`` when one is available."""
    value = options.get("device", "cpu")
    if value not in DEVICES:
        raise InvalidRequest(f"options.device must be one of {', '.join(DEVICES)}, not {value!r}")
    if value == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if value == "cuda":
        raise InvalidRequest("options.device is 'cuda' but torch sees no CUDA device here; use 'cpu' or 'auto'")
    return "cpu"


def dtype_name(options: dict[str, Any]) -> str:
    value = options.get("dtype", "float32")
    if value not in DTYPES:
        raise InvalidRequest(f"options.dtype must be one of {', '.join(DTYPES)}, not {value!r}")
    return str(value)


def dtype_option(options: dict[str, Any]) -> torch.dtype:
    import torch

    return getattr(torch, dtype_name(options))


def batch_size_option(options: dict[str, Any], default: int = DEFAULT_BATCH_SIZE) -> int:
    value = options.get("batch_size", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH_SIZE:
        raise InvalidRequest(f"options.batch_size must be an integer from 1 to {MAX_BATCH_SIZE}, not {value!r}")
    return value


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items: memory stays bounded on large requests."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def configure_threads() -> int:
    """Set torch's intra-op threads from ``TOLLAMA_NUM_THREADS`` (default: the cores we may use)."""
    import torch

    raw = env("TOLLAMA_NUM_THREADS")
    threads = int(raw) if raw.isdigit() and int(raw) > 0 else len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    return threads
