"""Backtests from the Python client: request bodies, ``EvaluationResult`` and Nixtla-shaped frames.

``level=[80, 95]`` (Nixtla's central intervals) becomes the quantiles 0.1, 0.9, 0.025, 0.975 and
the columns ``<model>-lo-80`` / ``<model>-hi-80``, as ``StatsForecast.cross_validation`` names them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tollama.client._base import one_horizon
from tollama.client.frames import ID, TARGET, TIME, prepare_frame
from tollama.core.backtest import window_cutoffs
from tollama.core.errors import InvalidRequest
from tollama.core.schemas import quantile_key


def levels_to_quantiles(level: Sequence[float] | None, quantiles: Sequence[float] | None = None) -> list[float] | None:
    """Quantiles covering Nixtla's ``level`` intervals (plus any given ``quantiles``), sorted."""
    if level is None:
        return None if quantiles is None else [float(q) for q in quantiles]
    out = set() if quantiles is None else {float(q) for q in quantiles}
    for value in level:
        if not 0 < float(value) < 100:
            raise InvalidRequest(f"level {value} is outside (0, 100); use e.g. level=[80, 95]")
        tail = (100 - float(value)) / 200
        out.update({round(tail, 10), round(1 - tail, 10)})
    return sorted(out)


def add_level_columns(frame: pd.DataFrame, source: Mapping[str, str], level: Sequence[float]) -> pd.DataFrame:
    """``<name>-lo-<L>`` / ``<name>-hi-<L>`` from the quantile columns; ``source`` maps name -> column prefix."""
    for name, prefix in source.items():
        for value in level:
            tail = round((100 - float(value)) / 200, 10)
            label = f"{value:g}"
            frame[f"{name}-lo-{label}"] = frame[f"{prefix}{quantile_key(tail)}"]
            frame[f"{name}-hi-{label}"] = frame[f"{prefix}{quantile_key(round(1 - tail, 10))}"]
    return frame


def evaluate_body(
    data: pd.DataFrame | Mapping[str, Any],
    *,
    models: Sequence[str],
    h: int | None = None,
    horizon: int | None = None,
    n_windows: int = 1,
    step_size: int | None = None,
    level: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
    metrics: Sequence[str] | None = None,
    **fields: Any,
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The ``/api/evaluate`` body for a long DataFrame (or a dict holding ``series``), and its history."""
    h = one_horizon("evaluate", h, horizon)
    if h is None:
        raise TypeError("evaluate() needs the forecast horizon: h=... (Nixtla's name) or horizon=...")
    history = None
    if isinstance(data, pd.DataFrame):
        prepared = prepare_frame(data, horizon=h)
        series, history = prepared.body["series"], prepared.history
    else:
        series = list(data["series"])
    body: dict[str, Any] = {"models": list(models), "series": series, "horizon": h, "windows": n_windows}
    if step_size is not None:
        body["step"] = step_size
    levels = levels_to_quantiles(level, quantiles)
    if levels is not None:
        body["quantiles"] = levels
    if metrics is not None:
        body["metrics"] = list(metrics)
    body.update({k: v for k, v in fields.items() if v is not None})
    return body, history


@dataclass(eq=False)
class EvaluationResult:
    """``.leaderboard`` and ``.series`` as DataFrames, the raw ``.response``, and ``.plot(path)``."""

    response: dict[str, Any]
    history: pd.DataFrame | None = None
    level: list[float] = field(default_factory=list)

    @property
    def leaderboard(self) -> pd.DataFrame:
        return pd.DataFrame(self.response["leaderboard"])

    @property
    def series(self) -> pd.DataFrame:
        """One row per (series, model): ``unique_id, model, best`` and a column per metric."""
        rows = [
            {ID: item["id"], "model": model, "best": item["best"] == model, **scores}
            for item in self.response["series"]
            for model, scores in item["scores"].items()
        ]
        return pd.DataFrame(rows)

    @property
    def warnings(self) -> list[str]:
        return list(self.response.get("warnings", []))

    def cross_validation(self) -> pd.DataFrame:
        """The window forecasts as Nixtla's long frame (needs ``return_forecasts``)."""
        return cross_validation_frame(self.response, self.history, self.level)

    def plot(self, path: str | Path | None = None) -> Any:
        """One bar per model for each metric; saved as PNG when ``path`` is given. Returns the figure."""
        from tollama.client.evaluation_plot import plot_leaderboard

        return plot_leaderboard(self.response["leaderboard"], path)

    def __repr__(self) -> str:
        return repr(self.leaderboard)


def cross_validation_frame(
    response: Mapping[str, Any], history: pd.DataFrame | None, level: Sequence[float] = ()
) -> pd.DataFrame:
    """``unique_id, ds, cutoff, y``, a column per model (its mean) and per-model quantile columns."""
    if "forecasts" not in response:
        raise InvalidRequest("the evaluation was run without return_forecasts=True; no forecasts to shape")
    times = {} if history is None else {str(k): g[TIME].reset_index(drop=True) for k, g in history.groupby(ID)}
    horizon = int(response["horizon"])
    parts: dict[tuple[str, int], pd.DataFrame] = {}
    models: list[str] = []
    for item in response["forecasts"]:
        key = (item["id"], item["window"])
        model = item["model"]
        models.append(model)
        part = parts.get(key)
        if part is None:
            past = times.get(item["id"])
            ds = pd.to_datetime(item["timestamps"]) if item.get("timestamps") else None
            cutoff = None
            if past is not None:
                cut = _cutoff_index(len(past), horizon, item["window"], response)
                cutoff = past.iloc[cut - 1] if cut is not None else None
                if ds is None and cut is not None:
                    ds = past.iloc[cut : cut + horizon].to_numpy()
            ds = ds if ds is not None else range(horizon)
            part = parts[key] = pd.DataFrame({ID: item["id"], TIME: ds, "cutoff": cutoff, TARGET: item["actuals"]})
        part[model] = item["mean"]
        for q, values in (item.get("quantiles") or {}).items():
            part[f"{model}-q{q}"] = values
    empty = pd.DataFrame(columns=[ID, TIME, "cutoff", TARGET])
    frame = pd.concat(parts.values(), ignore_index=True) if parts else empty
    if level:
        add_level_columns(frame, {m: f"{m}-q" for m in dict.fromkeys(models)}, level)
    return frame


def _cutoff_index(length: int, horizon: int, window: int, response: Mapping[str, Any]) -> int | None:
    """The history length of a series at ``window`` (the last window always exists: the daemon checks)."""
    windows = int(response["windows"][-1]["index"]) + 1
    return window_cutoffs(length, horizon, windows, int(response.get("step") or horizon))[window]
