"""statsforecast called directly, in this process, as a user would: what the stats runner must match.

Deliberately independent of the runner's code: real timestamps and pandas frequency strings
(the runner uses an integer index), pandas for gap filling, column names spelled out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

MEMBERS: dict[str, list[type[Any]]] = {
    "auto-ets": [AutoETS],
    "auto-arima": [AutoARIMA],
    "auto-theta": [AutoTheta],
    "seasonal-naive": [SeasonalNaive],
    "stats-ensemble": [AutoETS, AutoARIMA, AutoTheta],
}


def seasonal_series(count: int, length: int, period: int = 7, seed: int = 0) -> np.ndarray:
    """Positive series with a cycle of ``period``, a drift and noise; one row per series."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(50, 150, size=(count, 1))
    cycle = rng.uniform(5, 20, size=(count, 1)) * np.sin(2 * np.pi * t / period)
    return level + cycle + 0.05 * t + rng.normal(0, 2, size=(count, length)).cumsum(axis=1) * 0.3


def daily_body(model: str, values: np.ndarray, horizon: int, quantiles: list[float], **extra: Any) -> dict[str, Any]:
    """A forecast request with daily timestamps from 2024-01-01, series ids ``s0``, ``s1``, ..."""
    stamps = pd.date_range("2024-01-01", periods=values.shape[1], freq="D").strftime("%Y-%m-%d").tolist()
    series = [
        {"id": f"s{i}", "freq": "D", "timestamps": stamps, "target": row.tolist()} for i, row in enumerate(values)
    ]
    return {"model": model, "horizon": horizon, "quantiles": quantiles, "series": series, **extra}


def reference(
    model: str,
    values: np.ndarray,
    horizon: int,
    quantiles: list[float],
    season_length: int,
    freq: str = "D",
    exog: dict[str, np.ndarray] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """{series id: {"mean": (h,), "0.1": (h,), ...}} straight from ``StatsForecast.forecast``."""
    count, length = values.shape
    stamps = pd.date_range("2024-01-01", periods=length + horizon, freq=freq)
    df = pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i}" for i in range(count)], length),
            "ds": np.tile(stamps[:length], count),
            "y": values.ravel(),
        }
    )
    x_df = None
    if exog:
        x_df = pd.DataFrame(
            {"unique_id": np.repeat([f"s{i}" for i in range(count)], horizon), "ds": np.tile(stamps[length:], count)}
        )
        for name, full in exog.items():  # full: (count, length + horizon)
            df[name] = full[:, :length].ravel()
            x_df[name] = full[:, length:].ravel()
    levels = sorted({abs(2 * q - 1) * 100 for q in quantiles} - {0.0})
    models = [cls(season_length=season_length) for cls in MEMBERS[model]]
    out = StatsForecast(models=models, freq=freq, n_jobs=1).forecast(df=df, h=horizon, X_df=x_df, level=levels or None)
    names = [type(m).__name__ for m in models]

    def column(suffix: str, uid: str) -> np.ndarray:
        rows = out[out["unique_id"] == uid]
        return np.median(np.stack([rows[f"{name}{suffix}"].to_numpy() for name in names]), axis=0)

    result: dict[str, dict[str, np.ndarray]] = {}
    for i in range(count):
        uid = f"s{i}"
        entry = {"mean": column("", uid)}
        for q in quantiles:
            level = abs(2 * q - 1) * 100
            suffix = "" if level == 0 else (f"-lo-{level}" if q < 0.5 else f"-hi-{level}")
            entry[repr(q)] = column(suffix, uid)
        result[uid] = entry
    return result


def assert_matches(response: dict[str, Any], expected: dict[str, dict[str, np.ndarray]]) -> None:
    """Every series' mean and quantiles equal the in-process forecast within float tolerance."""
    got = {f["id"]: f for f in response["forecasts"]}
    assert got.keys() == expected.keys()
    for uid, want in expected.items():
        np.testing.assert_allclose(got[uid]["mean"], want["mean"], rtol=1e-7, atol=1e-9, err_msg=uid)
        for key, values in want.items():
            if key != "mean":
                np.testing.assert_allclose(got[uid]["quantiles"][key], values, rtol=1e-7, atol=1e-9, err_msg=uid)


def forecast(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    """POST the request through the real daemon; the response as plain JSON data."""
    return client.forecast(body).model_dump(mode="json", exclude_none=True)
