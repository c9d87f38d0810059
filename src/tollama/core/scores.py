"""Backtest scores with fev's definitions and aggregation (``/api/evaluate``, derived models).

Per (series, window) pair: ``mase`` (MAE of ``mean`` over the in-sample seasonal-naive MAE of the
history up to the cutoff), ``smape`` (200·|y−ŷ|/(|y|+|ŷ|), a 0/0 step counts 0), ``mape`` (percent,
over steps where y ≠ 0), ``mae``, ``rmse``, ``coverage`` (share of values inside the outermost
requested interval) and ``wql``. Aggregates: the mean over pairs where a metric is defined, except
``wql``, pooled as fev pools it: Σ 2·pinball over pairs, steps and levels, divided by the number of
levels and by Σ|y| over the same values. Undefined values are NaN here; callers report them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

EVAL_METRICS = ("mase", "smape", "wql", "mae", "rmse", "mape", "coverage")
NOT_RANKED = frozenset({"coverage"})  # higher is not worse, so it never orders a leaderboard


@dataclass(frozen=True)
class PairScore:
    """One (series, window) forecast scored; ``wql_loss``/``wql_scale`` are kept for pooling."""

    values: dict[str, float]
    wql_loss: float = math.nan
    wql_scale: float = math.nan


@dataclass
class ScoreSheet:
    """The pairs of one model, aggregated on demand."""

    pairs: list[PairScore] = field(default_factory=list)

    def aggregate(self, metrics: Sequence[str]) -> dict[str, float]:
        """fev's aggregation: a mean over pairs, ``wql`` pooled; NaN where nothing is defined."""
        return aggregate(self.pairs, metrics)


def seasonal_scale(history: Sequence[float | None], seasonality: int) -> float:
    """In-sample MAE of the seasonal-naive forecast (lag ``seasonality``), gaps ignored.

    NaN when the history has no pair of values a season apart or that error is 0 (MASE undefined).
    """
    values = np.asarray([math.nan if v is None else v for v in history], dtype=float)
    if values.size <= seasonality:
        return math.nan
    diffs = np.abs(values[seasonality:] - values[:-seasonality])
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size == 0:
        return math.nan
    scale = float(diffs.mean())
    return scale if scale > 0 else math.nan


def score_pair(
    actuals: Sequence[float],
    mean: Sequence[float],
    quantiles: dict[float, Sequence[float]] | None,
    metrics: Sequence[str],
    scale: float,
) -> PairScore:
    """Score one forecast of one window; ``quantiles`` maps level → values (None: point model)."""
    y = np.asarray(actuals, dtype=float)
    yhat = np.asarray(mean, dtype=float)
    error = np.abs(y - yhat)
    levels = sorted(quantiles) if quantiles else []
    values: dict[str, float] = {}
    for name in metrics:
        if name == "mae":
            values[name] = float(error.mean())
        elif name == "rmse":
            values[name] = float(np.sqrt((error**2).mean()))
        elif name == "mase":
            values[name] = float(error.mean() / scale) if math.isfinite(scale) else math.nan
        elif name == "smape":
            denom = np.abs(y) + np.abs(yhat)
            ratio = np.divide(error, denom, out=np.zeros_like(error), where=denom > 0)
            values[name] = float(200.0 * ratio.mean())
        elif name == "mape":
            nonzero = y != 0
            values[name] = float(100.0 * (error[nonzero] / np.abs(y[nonzero])).mean()) if nonzero.any() else math.nan
        elif name == "coverage":
            if len(levels) < 2:
                values[name] = math.nan
            else:
                lo, hi = np.asarray(quantiles[levels[0]]), np.asarray(quantiles[levels[-1]])  # type: ignore[index]
                values[name] = float(((y >= lo) & (y <= hi)).mean())
    loss, norm = math.nan, math.nan
    if "wql" in metrics and levels:
        loss = wql_loss(y, quantiles, levels)  # type: ignore[arg-type]
        norm = float(np.abs(y).sum())
        values["wql"] = loss / norm if norm > 0 else math.nan
    elif "wql" in metrics:
        values["wql"] = math.nan
    return PairScore(values, loss, norm)


def wql_loss(y: np.ndarray, quantiles: dict[float, Sequence[float]], levels: Sequence[float]) -> float:
    """Σ over steps and levels of 2·pinball loss, divided by the number of levels."""
    total = 0.0
    for level in levels:
        q = np.asarray(quantiles[level], dtype=float)
        diff = y - q
        total += float((2.0 * np.maximum(level * diff, (level - 1.0) * diff)).sum())
    return total / len(levels)


def aggregate(pairs: Sequence[PairScore], metrics: Sequence[str]) -> dict[str, float]:
    """Mean over the pairs where a metric is defined; ``wql`` pooled over all pairs."""
    out: dict[str, float] = {}
    for name in metrics:
        if name == "wql":
            pooled = [(p.wql_loss, p.wql_scale) for p in pairs if math.isfinite(p.wql_loss)]
            norm = sum(s for _, s in pooled)
            out[name] = sum(loss for loss, _ in pooled) / norm if pooled and norm > 0 else math.nan
            continue
        defined = [p.values[name] for p in pairs if math.isfinite(p.values.get(name, math.nan))]
        out[name] = float(np.mean(defined)) if defined else math.nan
    return out


def why_undefined(name: str) -> str:
    """The reason a metric can be NaN, for the warning naming the skipped pair."""
    return {
        "mase": "the history is shorter than one season or its seasonal-naive error is 0",
        "mape": "every held-out value is 0",
        "wql": "no quantiles were requested or every held-out value is 0",
        "coverage": "fewer than two quantile levels were requested",
    }.get(name, "undefined for these values")
