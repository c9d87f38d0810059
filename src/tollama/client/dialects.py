"""The Chronos-2 SageMaker (and vLLM) JSON dialect, to and from the tollama contract.

Chronos-2 endpoint users send ``{"inputs": [{"target", "past_covariates", "future_covariates",
"item_id", "start"}], "parameters": {"prediction_length", "quantile_levels", "freq"}}`` and read
``{"predictions": [{"mean", "0.1", ..., "item_id", "start"}]}``. These converters let them
switch to tollama without rewriting either side; the endpoint's defaults are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastResponse

DEFAULT_PREDICTION_LENGTH = 1
DEFAULT_QUANTILE_LEVELS = (0.1, 0.5, 0.9)
# Top-level tollama fields a dialect payload may carry alongside "inputs".
PASSTHROUGH_FIELDS = ("model", "keep_alive", "options")


def is_sagemaker_payload(payload: Mapping[str, Any]) -> bool:
    return "inputs" in payload and "series" not in payload


def sagemaker_to_request(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A tollama forecast request body from a Chronos-2 endpoint payload.

    ``batch_size`` and ``predict_batches_jointly`` tune the endpoint's batching and are ignored.
    """
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise InvalidRequest("'inputs' must be a non-empty list of series ({\"target\": [...]})")
    parameters = payload.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise InvalidRequest("'parameters' must be an object ({\"prediction_length\": ...})")
    freq = parameters.get("freq")
    body: dict[str, Any] = {
        "horizon": parameters.get("prediction_length", DEFAULT_PREDICTION_LENGTH),
        "quantiles": list(parameters.get("quantile_levels", DEFAULT_QUANTILE_LEVELS)),
        "series": [_series(i, item, freq) for i, item in enumerate(inputs)],
    }
    body.update({k: payload[k] for k in PASSTHROUGH_FIELDS if payload.get(k) is not None})
    return body


def response_to_sagemaker(
    response: ForecastResponse | Mapping[str, Any], payload: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The endpoint's answer shape: ``item_id`` only where the payload named one, ``start`` when known."""
    parsed = response if isinstance(response, ForecastResponse) else ForecastResponse.model_validate(response)
    inputs = list((payload or {}).get("inputs") or [])
    predictions = []
    for i, forecast in enumerate(parsed.forecasts):
        item: dict[str, Any] = {"mean": forecast.mean, **(forecast.quantiles or {})}
        named = payload is None or (i < len(inputs) and isinstance(inputs[i], Mapping) and "item_id" in inputs[i])
        if named:
            item["item_id"] = forecast.id
        if forecast.start_timestamp:
            item["start"] = forecast.start_timestamp
        predictions.append(item)
    return {"predictions": predictions}


def _series(index: int, item: Any, freq: str | None) -> dict[str, Any]:
    where = f"inputs[{index}]"
    if not isinstance(item, Mapping) or not isinstance(item.get("target"), list):
        raise InvalidRequest(f"{where} needs a 'target' list of numbers")
    target = item["target"]
    series: dict[str, Any] = {
        "id": str(item["item_id"]) if item.get("item_id") is not None else f"item_{index}",
        "target": target,
    }
    for key in ("past_covariates", "future_covariates"):
        if item.get(key):
            series[key] = dict(item[key])
    start = item.get("start")
    if (start is None) != (freq is None):
        missing = "parameters.freq" if freq is None else f"{where}.start"
        raise InvalidRequest(f"{missing} is missing; the Chronos-2 dialect needs 'start' and 'freq' together")
    if start is not None:
        series["freq"] = str(freq)
        series["timestamps"] = _timestamps(where, str(start), str(freq), len(target))
    return series


def _timestamps(where: str, start: str, freq: str, count: int) -> list[str]:
    import pandas as pd

    from tollama.client.frames import format_timestamps
    from tollama.core.timeindex import parse_freq

    try:
        return format_timestamps(pd.date_range(pd.Timestamp(start), periods=count, freq=parse_freq(freq)))
    except ValueError as exc:
        raise InvalidRequest(f"{where}: no timestamps from start {start!r} and freq {freq!r} ({exc})") from None
