"""Requested quantile levels from a model's fixed quantile heads (TimesFM and Moirai: 0.1 … 0.9).

A level the model predicts is returned as is. A level between two heads is interpolated linearly
in the level; one outside the heads' range takes the nearest head. Both come with one warning
per request, so a client knows which numbers the model did not predict itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tollama.core.schemas import quantile_key

_TOLERANCE = 1e-9


def plan_levels(native: Sequence[float], requested: Sequence[float], model: str) -> list[str]:
    """Warnings for ``requested`` levels the heads ``native`` do not predict (empty when all do)."""
    low, high = min(native), max(native)
    inside = [q for q in requested if low <= q <= high and not _is_native(q, native)]
    outside = [q for q in requested if q < low or q > high]
    warnings = []
    if inside:
        warnings.append(
            f"model '{model}' predicts quantiles {_levels(native)}; {_levels(inside)} "
            "interpolated linearly between the nearest of them"
        )
    if outside:
        warnings.append(
            f"model '{model}' predicts quantiles {_levels(native)}; {_levels(outside)} outside that range "
            f"repeat the nearest one ({low:g} or {high:g})"
        )
    return warnings


def pick_levels(values: np.ndarray, native: Sequence[float], requested: Sequence[float]) -> dict[str, list[float]]:
    """``values``: ``(len(native), H)`` head outputs of one series -> ``{quantile_key(q): H values}``."""
    levels = np.asarray(native, dtype=float)
    order = np.argsort(levels)
    levels, values = levels[order], np.asarray(values, dtype=float)[order]
    out: dict[str, list[float]] = {}
    for q in requested:
        clamped = min(max(q, levels[0]), levels[-1])
        upper = min(int(np.searchsorted(levels, clamped - _TOLERANCE)), len(levels) - 1)
        lower = max(upper - 1, 0)
        span = levels[upper] - levels[lower]
        weight = 0.0 if span <= 0 or abs(clamped - levels[upper]) < _TOLERANCE else (levels[upper] - clamped) / span
        out[quantile_key(q)] = (weight * values[lower] + (1.0 - weight) * values[upper]).tolist()
    return out


def _is_native(level: float, native: Sequence[float]) -> bool:
    return any(abs(level - n) < _TOLERANCE for n in native)


def _levels(levels: Sequence[float]) -> str:
    return ", ".join(f"{q:g}" for q in levels)
