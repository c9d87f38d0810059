"""IBM FlowState (r1.1) through ``granite-tsfm``'s own ``FlowStateForPrediction``.

FlowState is a state-space model whose time scale adapts to the data's sampling rate: the
library's ``scale_factor`` stretches its S5 step sizes and its functional-basis decoder. We take
it from the series' ``freq`` with the library's own ``get_fixed_factor`` (24 / the seasonal
period: hourly 1, monthly 2, ...) unless ``options.scale_factor`` names one. Missing values are
NaN, which the library masks itself. The library crops the front of a batch to its shortest
series' start, so series are batched only with series of the same length and scale: every answer
equals the library called on that series alone. ``mean`` is the library's own point forecast
(``prediction_outputs``); quantiles come from its 9 heads (0.1 … 0.9, others interpolated).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tsfm_public import FlowStateForPrediction
from tsfm_public.models.flowstate.utils.utils import get_fixed_factor

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastRequest, RunnerForecast, RunnerSeriesForecast, SeriesInput
from tollama.runners.quantile_heads import pick_levels, plan_levels
from tollama.runners.torch.base import TorchModel, series_warnings, target_array
from tollama.runners.torch_options import batches

# pandas aliases -> the legacy names get_fixed_factor knows.
_FREQ_NAMES = {"h": "H", "min": "T", "ME": "M", "MS": "M", "QE": "Q", "QS": "Q", "YE": "A", "YS": "A", "Y": "A"}


def library_freq(freq: str) -> str:
    """``'15min'`` -> ``'15T'``, ``'MS'`` -> ``'M'``, ``'W-SUN'`` stays: what ``get_fixed_factor`` reads."""
    text = freq.strip()
    digits = len(text) - len(text.lstrip("0123456789"))
    count, unit = text[:digits], text[digits:]
    base, _, anchor = unit.partition("-")
    name = _FREQ_NAMES.get(base, base.upper() if base in ("d", "w", "q") else base)
    return f"{count}{name}" + (f"-{anchor}" if anchor else "")


def scale_factor_for(freq: str | None) -> float | None:
    """The library's factor for ``freq``, or None when it has none (the checkpoint's own then)."""
    if not freq:
        return None
    try:
        return float(get_fixed_factor(library_freq(freq)))
    except (NotImplementedError, ValueError, IndexError):
        return None


class FlowStateModel(TorchModel):
    """A FlowStateForPrediction snapshot."""

    def load(self, device: str, dtype: torch.dtype) -> Any:
        return FlowStateForPrediction.from_pretrained(str(self.snapshot), dtype=dtype).to(device).eval()

    def forecast(self, request: ForecastRequest, batch_size: int) -> RunnerForecast:
        native = [float(q) for q in self.net.config.quantiles]
        warnings = plan_levels(native, request.quantiles, self.name) if request.quantiles else []
        chosen = _option_scale(request.options)
        default = float(self.net.config.scale_factor)
        unknown = [s.id for s in request.series if chosen is None and scale_factor_for(s.freq) is None]
        warnings += series_warnings(
            unknown,
            lambda shown: (
                f"{self.name} has no time scale for the freq of series {shown}; the checkpoint's scale factor "
                f"{default:g} was used (set options.scale_factor to choose one)"
            ),
        )
        groups: dict[tuple[int, float], list[SeriesInput]] = {}
        for series in request.series:
            scale = chosen or scale_factor_for(series.freq) or default
            groups.setdefault((len(series.target), scale), []).append(series)
        out: dict[str, RunnerSeriesForecast] = {}
        for (_, scale), group in groups.items():
            for chunk in batches(group, batch_size):
                means, heads = self._predict(chunk, request.horizon, scale)
                for series, mean, values in zip(chunk, means, heads, strict=True):
                    quantiles = pick_levels(values, native, request.quantiles) if request.quantiles else None
                    out[series.id] = RunnerSeriesForecast(id=series.id, mean=mean.tolist(), quantiles=quantiles)
        return RunnerForecast(forecasts=[out[s.id] for s in request.series], warnings=warnings)

    def _predict(self, chunk: Sequence[SeriesInput], horizon: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
        param = next(self.net.parameters())
        values = torch.from_numpy(np.stack([target_array(s) for s in chunk])[..., None]).to(param.device, param.dtype)
        output = self.net(past_values=values, scale_factor=scale, prediction_length=horizon, batch_first=True)
        means = output.prediction_outputs[..., 0].float().cpu().numpy().astype(float)  # (B, H)
        heads = output.quantile_outputs[..., 0].float().cpu().numpy().astype(float)  # (B, Q, H)
        return means, heads


def _option_scale(options: dict[str, Any]) -> float | None:
    value = options.get("scale_factor")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidRequest(f"options.scale_factor must be a positive number, not {value!r}")
    return float(value)
