"""What the sampling families (Sundial, Toto) share: sample-count and seed options, summaries.

Forecasts drawn from generated samples are reproducible only if the random stream is fixed and
nobody else draws from it meanwhile: ``seeded`` seeds torch's global generator under a
process-wide lock (the runner loop serves requests from several threads). A series' samples
are drawn with the request's seed for that series alone, so its answer does not depend on
which other series share the request (or a dynamically merged batch).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import RunnerSeriesForecast, quantile_key

DEFAULT_SEED = 0
MAX_SEED = 2**63 - 1
_RANDOM_LOCK = threading.RLock()


def int_option(options: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    """``options[key]``, an integer in ``[low, high]`` (booleans are not integers here)."""
    value = options.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"options.{key} must be an integer from {low} to {high}, not {value!r}")
    return value


def bool_option(options: dict[str, Any], key: str, default: bool) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise InvalidRequest(f"options.{key} must be true or false, not {value!r}")
    return value


def seed_option(options: dict[str, Any]) -> int:
    return int_option(options, "seed", DEFAULT_SEED, 0, MAX_SEED)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global generator and hold it until the block ends."""
    import torch

    with _RANDOM_LOCK:
        torch.manual_seed(seed)
        yield


def summarize_samples(series_id: str, samples: np.ndarray, quantiles: list[float]) -> RunnerSeriesForecast:
    """Mean and requested quantiles of ``samples`` shaped ``(num_samples, horizon)``."""
    samples = np.asarray(samples, dtype=np.float64)
    mean = samples.mean(axis=0)
    levels = np.quantile(samples, quantiles, axis=0) if quantiles else []
    return RunnerSeriesForecast(
        id=series_id,
        mean=mean.tolist(),
        quantiles={quantile_key(q): row.tolist() for q, row in zip(quantiles, levels, strict=True)} or None,
    )
