"""pandas in and out of the forecast contract, in Nixtla's long format (``unique_id, ds, y``).

A long DataFrame holds one row per series and timestamp; columns other than id, time and target
are past covariates, and ``X_df`` (same ids, the next ``horizon`` timestamps) carries the future
values of the known-future ones, as Nixtla's clients take them. A ``pandas.Series`` with a
DatetimeIndex is one series. The answer is a long DataFrame ``unique_id, ds, mean, q0.1, ...``
on a ``ForecastResult`` that keeps the raw response and the history (for plots).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastMetrics, ForecastResponse, SeriesForecast, SeriesInput
from tollama.core.timeindex import forecast_timestamps, parse_freq

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ID, TIME, TARGET = "unique_id", "ds", "y"
UNNAMED_SERIES_ID = "series"  # id of a Series without a name, or a frame without an id column


@dataclass(frozen=True)
class Columns:
    """Names of the id, time and target columns (Nixtla's by default); results reuse them."""

    id: str = ID
    time: str = TIME
    target: str = TARGET


@dataclass
class PreparedFrame:
    """A request body plus the history it came from, in long form (id, time, target)."""

    body: dict[str, Any]
    history: pd.DataFrame
    columns: Columns = field(default_factory=Columns)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> PreparedFrame:
        """The history of a JSON request (positions stand in for missing timestamps)."""
        parts = []
        for series in body.get("series", []):
            target = [np.nan if v is None else v for v in series.get("target", [])]
            stamps = series.get("timestamps")
            times = pd.to_datetime(stamps) if stamps else pd.RangeIndex(len(target))
            parts.append(pd.DataFrame({ID: str(series.get("id")), TIME: times, TARGET: target}))
        return cls(body, pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[ID, TIME, TARGET]))


def prepare_frame(
    data: pd.DataFrame | pd.Series,
    *,
    horizon: int | None = None,
    model: str | None = None,
    quantiles: Sequence[float] | None = None,
    freq: str | None = None,
    X_df: pd.DataFrame | None = None,
    id_col: str | None = None,
    time_col: str | None = None,
    target_col: str | None = None,
    **fields: Any,
) -> PreparedFrame:
    """Turn a long DataFrame (or a Series) and optional ``X_df`` into a forecast request body."""
    if horizon is None:
        raise InvalidRequest("horizon is required with DataFrame or Series input (e.g. horizon=12)")
    columns = Columns(id_col or ID, time_col or TIME, target_col or TARGET)
    history = _long_frame(data, columns, "df")
    past_names = [c for c in history.columns if c not in (columns.id, columns.time, columns.target)]
    future = _future_groups(X_df, columns, past_names, history) if X_df is not None else None
    if freq:
        _parse_freq(freq)  # an unknown alias fails here, before any series work
    series, kept = [], []
    for series_id, group in history.groupby(columns.id, sort=False):
        sid = str(series_id)
        rows = group.sort_values(columns.time, kind="stable")
        future_rows = None if future is None else future.get(sid, rows.iloc[:0])
        series.append(_series(sid, rows, columns, past_names, future_rows, horizon, freq))
        kept.append(rows[[columns.id, columns.time, columns.target]])
    body: dict[str, Any] = {"horizon": horizon, "series": series}
    if model:
        body["model"] = model
    if quantiles is not None:
        body["quantiles"] = [float(q) for q in quantiles]
    body.update({k: v for k, v in fields.items() if v is not None})
    return PreparedFrame(body, pd.concat(kept, ignore_index=True), columns)


def frame_to_request(data: pd.DataFrame | pd.Series, **arguments: Any) -> dict[str, Any]:
    """The request body ``client.forecast(df, ...)`` would send (to inspect it or save it as JSON)."""
    return prepare_frame(data, **arguments).body


def response_to_frame(
    response: ForecastResponse | dict[str, Any], history: pd.DataFrame | None = None, columns: Columns | None = None
) -> pd.DataFrame:
    """A long DataFrame ``unique_id, ds, mean, q0.1, ...``; ``history`` restores id types and time zones."""
    columns = columns or Columns()
    if isinstance(response, dict):
        response = ForecastResponse.model_validate(response)
    past: dict[str, pd.Series] = {}
    original_ids: dict[str, Any] = {}
    if history is not None and len(history):
        for series_id, group in history.groupby(columns.id, sort=False):
            past[str(series_id)] = group[columns.time]
            original_ids[str(series_id)] = series_id
    parts = []
    for forecast in response.forecasts:
        data: dict[str, Any] = {
            columns.id: [original_ids.get(forecast.id, forecast.id)] * len(forecast.mean),
            columns.time: _forecast_times(forecast, past.get(forecast.id)),
            "mean": forecast.mean,
        }
        for key, values in (forecast.quantiles or {}).items():
            data[f"q{key}"] = values
        parts.append(pd.DataFrame(data))
    return pd.concat(parts, ignore_index=True)


@dataclass(eq=False)
class ForecastResult:
    """What ``client.forecast(df, ...)`` returns: ``.df`` (long), ``.response`` (raw), ``.plot()``."""

    response: ForecastResponse
    prepared: PreparedFrame
    df: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.df = response_to_frame(self.response, self.prepared.history, self.prepared.columns)

    @property
    def request(self) -> dict[str, Any]:
        return self.prepared.body

    @property
    def history(self) -> pd.DataFrame:
        return self.prepared.history

    @property
    def warnings(self) -> list[str]:
        return list(self.response.warnings or [])

    @property
    def metrics(self) -> ForecastMetrics | None:
        return self.response.metrics

    def plot(
        self, path: str | Path | None = None, *, max_series: int = 4, max_history: int | None = 200, dpi: int = 100
    ) -> Figure:
        """History, median (or mean) and quantile fan per series, for the first ``max_series``.

        Returns the figure (a matplotlib ``Figure`` to adjust or save); in Jupyter it shows inline.
        """
        from tollama.client.plot import plot_forecast

        return plot_forecast(self, path, max_series=max_series, max_history=max_history, dpi=dpi)

    def __repr__(self) -> str:
        return f"ForecastResult(model={self.response.model!r}, series={len(self.response.forecasts)})\n{self.df!r}"

    def _repr_html_(self) -> str:  # notebooks show the frame
        return str(self.df._repr_html_())


def format_timestamps(times: pd.DatetimeIndex) -> list[str]:
    """ISO strings; dates stay dates (``2025-01-01``) so the daemon answers in the same style."""
    if times.tz is None and bool((times == times.normalize()).all()):
        return list(times.strftime("%Y-%m-%d"))
    return [ts.isoformat() for ts in times]


# --- input -----------------------------------------------------------------------------------


def _long_frame(data: pd.DataFrame | pd.Series, columns: Columns, name: str) -> pd.DataFrame:
    """A copy with an id column, parsed times and a numeric target; clear errors otherwise."""
    if isinstance(data, pd.Series):
        if not isinstance(data.index, pd.DatetimeIndex):
            raise InvalidRequest(
                f"a Series needs a DatetimeIndex (got {type(data.index).__name__}); "
                "set one, e.g. series.index = pd.date_range('2025-01-01', periods=len(series), freq='D')"
            )
        sid = UNNAMED_SERIES_ID if data.name is None else data.name
        frame = pd.DataFrame({columns.id: sid, columns.time: data.index, columns.target: data.to_numpy()})
    elif isinstance(data, pd.DataFrame):
        on_index = columns.time not in data.columns and isinstance(data.index, pd.DatetimeIndex)
        frame = data.rename_axis(columns.time).reset_index() if on_index else data.reset_index(drop=True).copy()
        if columns.id not in frame.columns:
            frame.insert(0, columns.id, UNNAMED_SERIES_ID)
    else:
        raise InvalidRequest(f"expected a pandas DataFrame or Series, got {type(data).__name__}")
    if frame.empty:
        raise InvalidRequest(f"{name} has no rows")
    for column, option in ((columns.time, "time_col"), (columns.target, "target_col")):
        if column not in frame.columns:
            found = ", ".join(map(str, frame.columns))
            raise InvalidRequest(
                f"{name} has no column '{column}' (columns: {found}); "
                f"name it with {option} (CLI: --{option.replace('_', '-')})"
            )
    if frame[columns.id].isna().any():
        raise InvalidRequest(f"{name} id column '{columns.id}' has missing values")
    frame[columns.time] = _time_values(frame[columns.time], name)
    try:
        frame[columns.target] = pd.to_numeric(frame[columns.target]).astype(float)
    except (ValueError, TypeError):
        raise InvalidRequest(f"{name} target column '{columns.target}' has values that are not numbers") from None
    return frame


def _time_values(values: pd.Series, name: str) -> pd.Series:
    """Datetimes, or integers (steps without a calendar: no timestamps are sent)."""
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        try:
            with warnings.catch_warnings():  # "could not infer format": dateutil parses each value, as wanted
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(values)
        except (ValueError, TypeError):
            raise InvalidRequest(
                f"{name} time column '{values.name}' has values that are not timestamps (e.g. {values.iloc[0]!r})"
            ) from None
    if parsed.isna().any():
        raise InvalidRequest(f"{name} time column '{values.name}' has missing values")
    return parsed


def _series(
    sid: str,
    rows: pd.DataFrame,
    columns: Columns,
    past_names: list[str],
    future_rows: pd.DataFrame | None,
    horizon: int,
    freq: str | None,
) -> dict[str, Any]:
    times = rows[columns.time]
    duplicated = times[times.duplicated()]
    if len(duplicated):
        raise InvalidRequest(
            f"series '{sid}' has several rows at {duplicated.iloc[0]}; keep one row per timestamp "
            "(if the frame holds several series, name their id column with id_col / --id-col)"
        )
    target = rows[columns.target]
    _refuse_infinity(sid, f"target '{columns.target}'", target, times)
    out: dict[str, Any] = {"id": sid, "target": [None if np.isnan(v) else float(v) for v in target]}
    if pd.api.types.is_datetime64_any_dtype(times):
        index = pd.DatetimeIndex(times)
        out["freq"] = freq or _infer_freq(sid, index)
        out["timestamps"] = format_timestamps(index)
    if past_names:
        out["past_covariates"] = {n: _covariate(sid, n, rows[n]) for n in past_names}
    if future_rows is not None:
        out["future_covariates"] = _future_covariates(out, future_rows, columns, horizon)
    return out


def _infer_freq(sid: str, index: pd.DatetimeIndex) -> str:
    if len(index) < 3:
        reason = f"only {len(index)} timestamp{'s' if len(index) != 1 else ''}"
    else:
        inferred = pd.infer_freq(index)
        if inferred:
            return inferred
        reason = "irregular timestamps"
    raise InvalidRequest(
        f"cannot infer the frequency of series '{sid}' ({reason}); pass freq, e.g. freq='D' (CLI: --freq D)"
    )


def _parse_freq(freq: str) -> pd.DateOffset:
    try:
        return parse_freq(freq)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def _covariate(sid: str, name: str, values: pd.Series) -> list[float] | list[str]:
    """Numbers stay numbers (booleans become 0/1); anything else is categorical text."""
    if values.isna().any():
        raise InvalidRequest(f"series '{sid}': covariate '{name}' has missing values; fill them (e.g. .ffill())")
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(float)
    else:
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.isna().any():
            return values.astype(str).tolist()
    _refuse_infinity(sid, f"covariate '{name}'", numbers, None)
    return numbers.astype(float).tolist()


def _refuse_infinity(sid: str, what: str, values: pd.Series, times: pd.Series | None) -> None:
    """JSON has no infinity, and a model given one answers nonsense: name the first, as pandas users read it."""
    infinite = np.isinf(values.to_numpy(dtype=float))
    if infinite.any():
        position = int(infinite.argmax())
        where = f"at {times.iloc[position]} " if times is not None else ""
        raise InvalidRequest(
            f"series '{sid}': {what} is {values.iloc[position]} {where}(row {position + 1} of the series); "
            "replace it with a number, or leave it empty to mark a gap"
        )


def _future_groups(
    X_df: pd.DataFrame, columns: Columns, past_names: list[str], history: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """``X_df`` rows per series id, after checking its columns against the history's."""
    if not isinstance(X_df, pd.DataFrame):
        raise InvalidRequest(f"X_df must be a pandas DataFrame, got {type(X_df).__name__}")
    frame = X_df.reset_index(drop=True).copy()
    if columns.id not in frame.columns:
        frame.insert(0, columns.id, UNNAMED_SERIES_ID)
    if columns.time not in frame.columns:
        raise InvalidRequest(f"X_df has no time column '{columns.time}'")
    frame[columns.time] = _time_values(frame[columns.time], "X_df")
    unknown = [str(c) for c in frame.columns if c not in (columns.id, columns.time, *past_names)]
    if unknown:
        raise InvalidRequest(
            f"X_df columns {', '.join(unknown)} are not in df; a known-future covariate needs its past values in df too"
        )
    known = {str(s) for s in history[columns.id].unique()}
    groups = {str(k): g.sort_values(columns.time, kind="stable") for k, g in frame.groupby(columns.id, sort=False)}
    strangers = sorted(set(groups) - known)
    if strangers:
        raise InvalidRequest(f"X_df has rows for series '{strangers[0]}', which df does not have")
    return groups


def _future_covariates(
    series: dict[str, Any], future_rows: pd.DataFrame, columns: Columns, horizon: int
) -> dict[str, list[float] | list[str]]:
    """``X_df`` values of one series: ``horizon`` rows at the very steps the daemon will forecast."""
    sid = series["id"]
    if len(future_rows) != horizon:
        raise InvalidRequest(f"X_df has {len(future_rows)} rows for series '{sid}' but horizon is {horizon}")
    if series.get("timestamps"):
        steps = forecast_timestamps(SeriesInput.model_validate(series), horizon) or []
        found = pd.DatetimeIndex(future_rows[columns.time])
        expected = pd.DatetimeIndex(pd.to_datetime(steps, utc=found.tz is not None))
        if not expected.equals(found if found.tz is None else found.tz_convert("UTC")):
            raise InvalidRequest(
                f"X_df timestamps of series '{sid}' must be the {horizon} steps after {series['timestamps'][-1]} "
                f"({steps[0]} to {steps[-1]}); found {found[0]} to {found[-1]}"
            )
    names = [c for c in future_rows.columns if c not in (columns.id, columns.time)]
    return {str(n): _covariate(sid, str(n), future_rows[n]) for n in names}


# --- output ----------------------------------------------------------------------------------


def _forecast_times(forecast: SeriesForecast, past: pd.Series | None) -> pd.Index:
    """Forecast timestamps in the history's time zone; integer steps continue integer histories."""
    steps = len(forecast.mean)
    if forecast.timestamps:
        tz = getattr(past.dt, "tz", None) if past is not None and hasattr(past, "dt") else None
        if tz is not None:
            return pd.DatetimeIndex(pd.to_datetime(forecast.timestamps, utc=True)).tz_convert(tz)
        return pd.DatetimeIndex(pd.to_datetime(forecast.timestamps))
    if past is not None and len(past) and pd.api.types.is_integer_dtype(past):
        last = int(past.iloc[-1])
        step = int(past.iloc[-1] - past.iloc[-2]) if len(past) > 1 else 1
        return pd.Index(last + step * np.arange(1, steps + 1))
    return pd.RangeIndex(1, steps + 1)
