"""The registry's stats models as statsforecast models, and one batch through ``StatsForecast``.

Quantile q comes from the prediction interval of level |2q-1|·100: its lower bound for q < 0.5,
its upper bound for q > 0.5; q = 0.5 is the point forecast. ``stats-ensemble`` is the median of
its members' point forecasts and of each of their quantiles (a median of non-decreasing
quantile curves is non-decreasing too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

from tollama.core.errors import InvalidRequest, TollamaError
from tollama.core.schemas import RunnerSeriesForecast, quantile_key
from tollama.runners.stats.batch import Batch

LIBRARY_MODELS: dict[str, type[Any]] = {
    "AutoETS": AutoETS,
    "AutoARIMA": AutoARIMA,
    "AutoTheta": AutoTheta,
    "SeasonalNaive": SeasonalNaive,
}
ONE_PROCESS = 1  # runners.stats.workers spreads a request's chunks over the cores


@dataclass(frozen=True)
class StatsModel:
    """A registry model: its statsforecast members, the shortest series they all fit, and the
    most series per chunk of work (``runners.stats.workers``).

    The minimum lengths are where statsforecast 2.1 stops fitting (AutoETS and AutoTheta raise
    "tiny datasets" below 7 and 4 values). Chunks of models that fit (tenths of a second to
    seconds per series) stay small, so progress comes every few seconds even on a loaded
    machine; seasonal-naive fits nothing, and its large chunks keep the per-chunk cost away.
    """

    members: tuple[str, ...]
    min_length: int
    chunk_series: int = 8


MODELS: dict[str, StatsModel] = {
    "auto-ets": StatsModel(("AutoETS",), 7),
    "auto-arima": StatsModel(("AutoARIMA",), 1),
    "auto-theta": StatsModel(("AutoTheta",), 4),
    "seasonal-naive": StatsModel(("SeasonalNaive",), 1, chunk_series=256),
    "stats-ensemble": StatsModel(("AutoETS", "AutoARIMA", "AutoTheta"), 7),
}


def interval_level(q: float) -> float:
    """The prediction-interval level (in percent) whose bound is quantile ``q``; 0 for the median."""
    return abs(2 * q - 1) * 100


def column_suffix(q: float) -> str:
    """The statsforecast output column (after the model's name) that holds quantile ``q``."""
    level = interval_level(q)
    if level == 0:
        return ""
    return f"-lo-{level}" if q < 0.5 else f"-hi-{level}"


def interval_levels(quantiles: list[float]) -> list[float]:
    levels = sorted({interval_level(q) for q in quantiles} - {0.0})
    if levels and levels[-1] >= 100:
        raise InvalidRequest(f"quantiles {quantiles} include a level too close to 0 or 1 for prediction intervals")
    return levels


def forecast_batch(model: StatsModel, batch: Batch, horizon: int, quantiles: list[float]) -> list[RunnerSeriesForecast]:
    """Fit and forecast every series of ``batch`` in one call, in this process (a pool worker's)."""
    history, future = batch.frames(horizon)
    members = [LIBRARY_MODELS[name](season_length=batch.season_length) for name in model.members]
    engine = StatsForecast(models=members, freq=1, n_jobs=ONE_PROCESS)
    try:
        out = engine.forecast(h=horizon, df=history, X_df=future, level=interval_levels(quantiles) or None)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise TollamaError(f"statsforecast could not fit {', '.join(model.members)}: {exc}") from exc
    count = len(batch.members)

    def combined(suffix: str) -> np.ndarray:
        stacked = [out[f"{name}{suffix}"].to_numpy().reshape(count, horizon) for name in model.members]
        return stacked[0] if len(stacked) == 1 else np.median(np.stack(stacked), axis=0)

    mean = combined("")
    bands = {quantile_key(q): combined(column_suffix(q)) for q in quantiles}
    finite = np.all([np.isfinite(values).all(axis=1) for values in (mean, *bands.values())], axis=0)
    if not finite.all():
        bad = batch.members[int(np.argmin(finite))].id
        raise TollamaError(f"series '{bad}': {', '.join(model.members)} gave a non-finite forecast")
    return [
        RunnerSeriesForecast(
            id=member.id,
            mean=mean[row].tolist(),
            quantiles={key: values[row].tolist() for key, values in bands.items()} or None,
        )
        for row, member in enumerate(batch.members)
    ]
