"""What every torch-family model shares: a snapshot, a lock, and the device/dtype it is loaded on.

``options.device`` and ``options.dtype`` arrive with each forecast, so a model is (re)loaded
through its library's own ``from_pretrained`` when a request asks for another placement: the
library then applies its own dtype rules (modules kept in float32, input casting). The lock
serialises forecasts of one model, because a reload must never happen under a running forecast.
"""

from __future__ import annotations

import abc
import gc
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tollama.core.schemas import ForecastRequest, RunnerForecast, SeriesInput
from tollama.runners.batching import by_request


class TorchModel(abc.ABC):
    """One loaded model of the torch family."""

    def __init__(self, name: str, snapshot: Path) -> None:
        self.name = name
        self.snapshot = snapshot
        self.lock = threading.Lock()
        self.placement: tuple[str, torch.dtype] | None = None
        self.net: Any = None

    def place(self, device: str, dtype: torch.dtype) -> None:
        """Have the model loaded on ``device`` in ``dtype`` (reload only when that changes)."""
        if self.placement == (device, dtype):
            return
        self.release()
        self.net = self.load(device, dtype)
        self.placement = (device, dtype)

    def release(self) -> None:
        self.net = None
        self.placement = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    @abc.abstractmethod
    def load(self, device: str, dtype: torch.dtype) -> Any:
        """The library's object for this snapshot (absolute path, offline)."""

    @abc.abstractmethod
    def forecast(self, request: ForecastRequest, batch_size: int) -> RunnerForecast:
        """Forecast every series of ``request``, at most ``batch_size`` series per library call."""


def target_array(series: SeriesInput) -> np.ndarray:
    """The target as float32 with ``null`` as NaN (how these libraries mark missing values)."""
    return np.array([np.nan if v is None else v for v in series.target], dtype=np.float32)


def named(ids: list[str], shown: int = 5) -> str:
    """``'a', 'b' and 3 more``: a warning names a few series, not thousands."""
    text = ", ".join(f"'{i}'" for i in ids[:shown])
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def series_warnings(ids: list[str], message: Callable[[str], str]) -> list[str]:
    """``message(named series)`` once per request the series came from (one for an unmerged call).

    A merged call (``runners.batching``) holds several requests' series; a warning per request
    keeps each request's names and count its own when the answer is split back.
    """
    return [message(named(group)) for group in by_request(ids)] if ids else []


def context_warning(model: str, request: ForecastRequest, context_length: int) -> list[str]:
    """A warning naming the series whose history is longer than the model reads."""
    long = [s.id for s in request.series if len(s.target) > context_length]
    return series_warnings(
        long,
        lambda shown: (
            f"{model} reads at most the last {context_length} values; older history of series {shown} was ignored"
        ),
    )
