"""Forecast accuracy against ``series[].actuals``, computed with utilsforecast's losses.

Per-series values and an aggregate (the mean over series where the metric is defined).
Undefined cases never fail a forecast; they are skipped with a warning:
MAPE when every actual is 0, MASE when the history is too short for the seasonality or the
naive in-sample error is 0, WQL when no quantiles were requested or all actuals are 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from utilsforecast import losses

from tollama.core.schemas import (
    ForecastMetrics,
    SeriesForecast,
    SeriesInput,
    SeriesMetrics,
    quantile_key,
)

# utilsforecast returns fractions; MAPE is reported in percent and sMAPE on its usual 0-200 scale.
_SCALE = {"mape": 100.0, "smape": 200.0}


def compute_metrics(
    names: Sequence[str],
    inputs: Sequence[SeriesInput],
    forecasts: Sequence[SeriesForecast],
    quantile_levels: Sequence[float],
    mase_seasonality: int = 1,
) -> tuple[ForecastMetrics | None, list[str]]:
    """Return the metrics block and the warnings of skipped cases."""
    pairs = [(s, f) for s, f in zip(inputs, forecasts, strict=True) if s.actuals is not None]
    if not names or not pairs:
        return None, ([] if not names else ["metrics requested but no series has actuals; skipped"])
    frame, train = _frames(pairs, quantile_levels)
    per_metric = {
        name: _metric_by_series(name, frame, train, quantile_levels, mase_seasonality) for name in dict.fromkeys(names)
    }
    warnings: list[str] = []
    series_out: list[SeriesMetrics] = []
    for series, _ in pairs:
        values: dict[str, float] = {}
        for name, by_id in per_metric.items():
            value = by_id.get(series.id, math.nan)
            if math.isfinite(value):
                values[name] = value
            else:
                warnings.append(f"{name} skipped for series '{series.id}': {_why(name, series, mase_seasonality)}")
        series_out.append(SeriesMetrics(id=series.id, values=values))
    aggregate = {}
    for name in per_metric:
        defined = [s.values[name] for s in series_out if name in s.values]
        if defined:
            aggregate[name] = float(np.mean(defined))
    return ForecastMetrics(aggregate=aggregate, series=series_out), warnings


def _frames(
    pairs: list[tuple[SeriesInput, SeriesForecast]], levels: Sequence[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: dict[str, list] = {"unique_id": [], "ds": [], "y": [], "mean": []}
    for level in levels:
        rows[_qcol(level)] = []
    train: dict[str, list] = {"unique_id": [], "ds": [], "y": []}
    for series, forecast in pairs:
        horizon = len(forecast.mean)
        rows["unique_id"] += [series.id] * horizon
        rows["ds"] += list(range(horizon))
        rows["y"] += list(series.actuals or [])
        rows["mean"] += forecast.mean
        for level in levels:
            key = quantile_key(level)
            values = (forecast.quantiles or {}).get(key, forecast.mean)
            rows[_qcol(level)] += values
        history = [v for v in series.target if v is not None]
        train["unique_id"] += [series.id] * len(history)
        train["ds"] += list(range(-len(history), 0))
        train["y"] += history
    return pd.DataFrame(rows), pd.DataFrame(train)


def _metric_by_series(
    name: str, frame: pd.DataFrame, train: pd.DataFrame, levels: Sequence[float], seasonality: int
) -> dict[str, float]:
    if name == "mape":
        out = losses.mape(frame, ["mean"])
    elif name == "smape":
        out = losses.smape(frame, ["mean"])
    elif name == "mae":
        out = losses.mae(frame, ["mean"])
    elif name == "rmse":
        out = losses.rmse(frame, ["mean"])
    elif name == "mase":
        counts = train.groupby("unique_id").size()
        short = set(counts[counts <= seasonality].index) | (set(frame["unique_id"]) - set(counts.index))
        out = losses.mase(frame, ["mean"], seasonality=seasonality, train_df=train)
        out.loc[out["unique_id"].isin(short), "mean"] = math.nan
    elif name == "wql":
        if not levels:
            return {}
        cols = [_qcol(level) for level in levels]
        out = losses.scaled_crps(frame, {"mean": cols}, quantiles=np.asarray(levels))
        norms = frame.assign(a=frame["y"].abs()).groupby("unique_id")["a"].sum()
        out = out.set_index("unique_id")
        out.loc[norms[norms == 0].index, "mean"] = math.nan
        out = out.reset_index()
    else:  # pragma: no cover - names are validated by the schema
        raise ValueError(name)
    scale = _SCALE.get(name, 1.0)
    result = {}
    for uid, value in zip(out["unique_id"], out["mean"], strict=True):
        value = float(value) * scale
        result[str(uid)] = value if math.isfinite(value) else math.nan
    return result


def _why(name: str, series: SeriesInput, seasonality: int) -> str:
    if name in ("mape", "smape"):
        return "all actual values are 0"
    if name == "mase":
        observed = sum(v is not None for v in series.target)
        if observed <= seasonality:
            return f"history length {observed} <= mase_seasonality {seasonality}"
        return "the naive in-sample error is 0"
    if name == "wql":
        return "no quantiles requested" if not series.actuals or any(series.actuals) else "all actual values are 0"
    return "undefined for these values"


def _qcol(level: float) -> str:
    return f"q{level!r}"
