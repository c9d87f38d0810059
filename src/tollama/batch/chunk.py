"""One chunk of whole series through the forecast contract, bad series set aside.

Both engines run this: the local one sends the chunk to the daemon's ``/api/forecast``, a Ray
actor hands it to the daemon's own ``ForecastService`` in its process (``batch.embedded``). The
request is built by the Python client's ``prepare_frame`` and the answer read back by its
``response_to_frame``, so a batch forecast is the very forecast ``Client.forecast(df)`` gives.
Validation stays the daemon's: a chunk it refuses is split in halves until each refused series
stands alone, and that series goes to the errors table with the daemon's own message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tollama.batch.source import ID, TIME
from tollama.client.frames import prepare_frame, response_to_frame
from tollama.core.errors import InvalidRequest, RequestTooLarge, TollamaError
from tollama.core.schemas import ForecastResponse, quantile_key

Send = Callable[[dict[str, Any]], ForecastResponse | dict[str, Any]]
ERROR_COLUMNS = (ID, "error")


@dataclass(frozen=True)
class BatchSpec:
    """What every chunk of a job asks for (the job's identity with its input and chunking)."""

    model: str
    horizon: int
    quantiles: tuple[float, ...] | None = None
    freq: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def request_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"horizon": self.horizon, "model": self.model, "freq": self.freq}
        if self.quantiles:
            fields["quantiles"] = list(self.quantiles)
        if self.options:
            fields["options"] = dict(self.options)
        return fields

    def columns(self) -> list[str]:
        """The output's columns, in order."""
        return [ID, TIME, "mean", *(f"q{quantile_key(q)}" for q in self.quantiles or ()), "model"]


@dataclass
class ChunkResult:
    forecasts: pd.DataFrame
    errors: pd.DataFrame
    series: int
    warnings: list[str] = field(default_factory=list)


def is_per_series(exc: TollamaError) -> bool:
    """Errors a smaller request may not have: a refused series or a model failing on one.

    Everything else (model missing, licence, busy, timeout, unreachable, too large) concerns
    the whole job and stops it.
    """
    if isinstance(exc, RequestTooLarge):
        return False
    return isinstance(exc, InvalidRequest) or type(exc) is TollamaError


def forecast_chunk(frame: pd.DataFrame, spec: BatchSpec, send: Send) -> ChunkResult:
    """Forecast every series of ``frame``; refused ones become rows of ``errors``."""
    errors = _misordered(frame)
    good = frame[~frame[ID].isin(errors)] if errors else frame
    parts: list[pd.DataFrame] = []
    warnings: list[str] = []
    if len(good):
        _forecast(good, spec, send, parts, errors, warnings)
    columns = spec.columns()
    forecasts = pd.concat(parts, ignore_index=True)[columns] if parts else _empty(columns)
    table = pd.DataFrame({ID: list(errors), "error": list(errors.values())}, columns=list(ERROR_COLUMNS))
    return ChunkResult(forecasts, table, int(frame[ID].nunique()), warnings)


def _forecast(
    frame: pd.DataFrame,
    spec: BatchSpec,
    send: Send,
    parts: list[pd.DataFrame],
    errors: dict[str, str],
    warnings: list[str],
) -> None:
    try:
        prepared = prepare_frame(frame, **spec.request_fields())
        response = send(prepared.body)
        response = response if isinstance(response, ForecastResponse) else ForecastResponse.model_validate(response)
    except TollamaError as exc:
        if not is_per_series(exc):
            raise
        ids = frame[ID].unique()
        if len(ids) == 1:
            errors[str(ids[0])] = exc.message
            return
        first = frame[ID].isin(ids[: len(ids) // 2])
        _forecast(frame[first], spec, send, parts, errors, warnings)
        _forecast(frame[~first], spec, send, parts, errors, warnings)
        return
    out = response_to_frame(response, prepared.history)
    out["model"] = response.model
    parts.append(out)
    warnings.extend(response.warnings or [])


def _misordered(frame: pd.DataFrame) -> dict[str, str]:
    """Series whose timestamps do not strictly increase in the input: a batch never reorders rows."""
    times = frame[TIME]
    if not pd.api.types.is_integer_dtype(times):
        times = pd.to_datetime(times, errors="coerce")  # unreadable ones are the daemon's to name
    ids = frame[ID]
    same = (ids == ids.shift()).to_numpy()
    zero = pd.Timedelta(0) if pd.api.types.is_datetime64_any_dtype(times) else 0
    back = same & (times.diff() <= zero).to_numpy(dtype=bool, na_value=False)
    errors: dict[str, str] = {}
    for pos in back.nonzero()[0]:
        sid = str(ids.iloc[pos])
        if sid in errors:
            continue
        before, at = times.iloc[pos - 1], times.iloc[pos]
        errors[sid] = (
            f"series '{sid}' has two rows at {at}; keep one row per timestamp"
            if before == at
            else f"series '{sid}' goes back in time ({before} then {at}); sort the input by {ID}, {TIME}"
        )
    return errors


def _empty(columns: list[str]) -> pd.DataFrame:
    types = {ID: "string", TIME: "datetime64[ns]", "model": "string"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "float64")) for c in columns})
