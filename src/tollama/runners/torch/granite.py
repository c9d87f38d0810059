"""Granite TinyTimeMixer (TTM) r2 through ``granite-tsfm``'s own model class.

TTM reads exactly ``context_length`` values and writes ``prediction_length`` steps, as a point
forecast. Each series is cut or left-padded to the context length here, with a mask that marks
padding and gaps (``null``) as unobserved, which is how the library's scaler expects them (it pads
the same way itself). Stock r2 checkpoints have one channel, so covariates never reach this model
(the registry does not claim them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tsfm_public import TinyTimeMixerForPrediction
from tsfm_public.toolkit.time_series_preprocessor import DEFAULT_FREQUENCY_MAPPING

from tollama.core.errors import InvalidRequest, RunnerUnavailable
from tollama.core.schemas import ForecastRequest, RunnerForecast, RunnerSeriesForecast, SeriesInput
from tollama.runners.torch.base import TorchModel, context_warning, series_warnings, target_array
from tollama.runners.torch_options import batches


class GraniteModel(TorchModel):
    """A TinyTimeMixerForPrediction snapshot with a single input channel."""

    def load(self, device: str, dtype: torch.dtype) -> Any:
        model = TinyTimeMixerForPrediction.from_pretrained(str(self.snapshot), dtype=dtype).to(device).eval()
        channels = model.config.num_input_channels
        if channels != 1:
            raise RunnerUnavailable(
                f"model '{self.name}' is a TinyTimeMixer with {channels} input channels; tollama serves "
                "single-channel TTM checkpoints only"
            )
        return model

    def forecast(self, request: ForecastRequest, batch_size: int) -> RunnerForecast:
        config = self.net.config
        context, length = config.context_length, config.prediction_length
        if request.horizon > length:
            raise InvalidRequest(f"horizon {request.horizon} is above model '{self.name}' prediction length {length}")
        warnings = context_warning(self.name, request, context)
        short = [s.id for s in request.series if len(s.target) < context]
        warnings += series_warnings(
            short,
            lambda shown: (
                f"{self.name} reads {context} values; series {shown} were shorter and were "
                "left-padded with values marked unobserved"
            ),
        )
        out: list[RunnerSeriesForecast] = []
        for chunk in batches(request.series, batch_size):
            means = self._predict(chunk, context)[:, : request.horizon]
            out.extend(RunnerSeriesForecast(id=s.id, mean=m.tolist()) for s, m in zip(chunk, means, strict=True))
        return RunnerForecast(forecasts=out, warnings=warnings)

    def _predict(self, chunk: Sequence[SeriesInput], context: int) -> np.ndarray:
        fitted = [_fit(target_array(s), context) for s in chunk]
        values, observed = np.stack([v for v, _ in fitted]), np.stack([o for _, o in fitted])
        param = next(self.net.parameters())
        kwargs: dict[str, torch.Tensor] = {}
        if self.net.config.resolution_prefix_tuning:
            tokens = [DEFAULT_FREQUENCY_MAPPING.get(s.freq or "", DEFAULT_FREQUENCY_MAPPING["oov"]) for s in chunk]
            kwargs["freq_token"] = torch.tensor(tokens, device=param.device)
        output = self.net(
            past_values=torch.from_numpy(values[..., None]).to(param.device, param.dtype),
            past_observed_mask=torch.from_numpy(observed[..., None]).to(param.device),
            return_loss=False,
            **kwargs,
        )
        return output.prediction_outputs[..., 0].float().cpu().numpy().astype(float)


def _fit(target: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, observed) of exactly ``context`` steps: last values kept, zeros and False before."""
    target = target[-context:]
    values = np.zeros(context, dtype=np.float32)
    observed = np.zeros(context, dtype=bool)
    observed[context - len(target) :] = ~np.isnan(target)
    values[context - len(target) :] = np.nan_to_num(target, nan=0.0)
    return values, observed
