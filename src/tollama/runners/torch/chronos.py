"""Chronos-2 and Chronos-Bolt through ``chronos-forecasting``'s own pipelines.

``BaseChronosPipeline.from_pretrained`` picks the pipeline class from the snapshot's config, so one
loader serves both. Chronos-2 takes covariates as one dict per series; the library requires every
dict of a call to share one schema, so series are grouped by covariate names and kinds (a request
may mix series with different covariates) and answers are put back in request order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from chronos import BaseChronosPipeline, Chronos2Pipeline

from tollama.core.covariates import covariate_role
from tollama.core.schemas import ForecastRequest, RunnerForecast, RunnerSeriesForecast, SeriesInput, quantile_key
from tollama.runners.torch.base import TorchModel, context_warning, target_array
from tollama.runners.torch_options import batches

Schema = tuple[tuple[str, str, str], ...]


class ChronosModel(TorchModel):
    """A Chronos-2 or Chronos-Bolt snapshot."""

    def load(self, device: str, dtype: torch.dtype) -> Any:
        return BaseChronosPipeline.from_pretrained(str(self.snapshot), device_map=device, dtype=dtype)

    @property
    def is_chronos2(self) -> bool:
        return isinstance(self.net, Chronos2Pipeline)

    def forecast(self, request: ForecastRequest, batch_size: int) -> RunnerForecast:
        pipe = self.net
        levels = request.quantiles or [0.5]
        warnings = [*context_warning(self.name, request, pipe.model_context_length), *self._level_warnings(levels)]
        if request.horizon > pipe.model_prediction_length:
            warnings.append(
                f"{self.name} predicts {pipe.model_prediction_length} steps at once; longer horizons are unrolled "
                "by the library and may lose accuracy"
            )
        call = self._chronos2 if self.is_chronos2 else self._bolt
        out: dict[str, RunnerSeriesForecast] = {}
        for group in _groups(request.series) if self.is_chronos2 else [list(request.series)]:
            for chunk in batches(group, batch_size):
                quantiles, means = call(chunk, request.horizon, levels, batch_size)
                for series, q, mean in zip(chunk, quantiles, means, strict=True):
                    out[series.id] = _series_forecast(series.id, q, mean, request.quantiles)
        return RunnerForecast(forecasts=[out[s.id] for s in request.series], warnings=warnings)

    def _chronos2(
        self, chunk: Sequence[SeriesInput], horizon: int, levels: list[float], batch_size: int
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        inputs = [_chronos2_input(series) for series in chunk]
        quantiles, means = self.net.predict_quantiles(
            inputs, prediction_length=horizon, quantile_levels=levels, batch_size=batch_size
        )
        return [q[0] for q in quantiles], [m[0] for m in means]  # univariate: variate axis of 1

    def _bolt(
        self, chunk: Sequence[SeriesInput], horizon: int, levels: list[float], batch_size: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = [torch.from_numpy(target_array(series)) for series in chunk]
        return self.net.predict_quantiles(inputs, prediction_length=horizon, quantile_levels=levels)

    def _level_warnings(self, levels: list[float]) -> list[str]:
        native = [float(q) for q in self.net.quantiles]
        kind = "Chronos-2" if self.is_chronos2 else "Chronos-Bolt"
        warnings = []
        outside = [q for q in levels if q < min(native) or q > max(native)]
        if outside:
            warnings.append(
                f"{self.name} ({kind}) predicts quantiles from {min(native)} to {max(native)}; levels "
                f"{', '.join(map(str, outside))} were clamped to that range by the library"
            )
        between = [q for q in levels if q not in native and q not in outside]
        if between:
            warnings.append(
                f"{self.name} has no native quantile head for levels {', '.join(map(str, between))}; "
                "they were interpolated from its native levels"
            )
        return warnings


def _schema(series: SeriesInput) -> Schema:
    """What the library needs shared by every dict of one call: covariate names, roles and kinds."""
    roles = (covariate_role(n, series.past_covariates, series.future_covariates) for n in series.past_covariates)
    return tuple(sorted((name, role, kind) for name, (role, kind) in zip(series.past_covariates, roles, strict=True)))


def _groups(series: Iterable[SeriesInput]) -> list[list[SeriesInput]]:
    groups: dict[Schema, list[SeriesInput]] = {}
    for s in series:
        groups.setdefault(_schema(s), []).append(s)
    return list(groups.values())


def _covariate(values: list[Any]) -> np.ndarray:
    """Strings stay a numpy string array (the library encodes categoricals itself)."""
    if values and isinstance(values[0], str):
        return np.asarray(values, dtype=str)
    return np.asarray(values, dtype=np.float32)


def _chronos2_input(series: SeriesInput) -> dict[str, Any]:
    item: dict[str, Any] = {"target": target_array(series)}
    if series.past_covariates:
        item["past_covariates"] = {n: _covariate(v) for n, v in series.past_covariates.items()}
        item["future_covariates"] = {n: _covariate(v) for n, v in series.future_covariates.items()}
    return item


def _series_forecast(
    series_id: str, quantiles: torch.Tensor, mean: torch.Tensor, requested: list[float]
) -> RunnerSeriesForecast:
    """``quantiles`` is (horizon, levels); ``mean`` the library's point forecast (its median)."""
    values = quantiles.float().numpy().astype(float)
    by_level = {quantile_key(q): values[:, i].tolist() for i, q in enumerate(requested)}
    point = mean.float().numpy().astype(float).tolist()
    return RunnerSeriesForecast(id=series_id, mean=point, quantiles=by_level or None)
