"""TiRex-2 through NXAI's ``tirex-2`` library: ``load_model`` and ``ForecastModel.forecast``.

Each series becomes one ``TimeseriesType``: the target as one variate, numeric past-only
covariates as ``past_covariates`` and known-future ones as ``future_covariates`` over history
plus horizon, as the library takes them. The library batches series of any length itself; its
answer is 9 quantile heads (0.1 … 0.9) per step, whose median is its point forecast (our
``mean``); other levels are interpolated (``quantile_heads``). A horizon above the model's own
(``future_len``) is refused, since the library would silently cut it.

Devices: the recurrent kernels' GPU path needs an Ampere-or-newer GPU and a CUDA compiler; when
``options.device`` asks for CUDA without them, the CPU path serves with a warning.
"""

from __future__ import annotations

import logging
import shutil
import threading
from typing import Any

import numpy as np
import torch
from tirex2 import TimeseriesType, load_model

from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast, RunnerSeriesForecast, SeriesInput
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.quantile_heads import pick_levels, plan_levels
from tollama.runners.snapshots import load_failure, snapshot_dir
from tollama.runners.torch_options import batch_size_option, configure_threads, device_option

logger = logging.getLogger("tollama.runner.tirex")
DEFAULT_BATCH_SIZE = 256
AMPERE = (8, 0)


def gpu_fallback_reason() -> str | None:
    """Why TiRex-2's GPU kernels cannot run here, or None when they can."""
    if not torch.cuda.is_available():
        return "no CUDA device is visible"
    if torch.cuda.get_device_capability() < AMPERE:
        return "its GPU kernels need an Ampere (compute capability 8.0) or newer GPU"
    if shutil.which("nvcc") is None:
        return "its GPU kernels are compiled on first use and no CUDA compiler (nvcc) is on PATH"
    return None


class TirexAdapter(FamilyAdapter):
    family = "tirex"
    libraries = ("torch", "tirex-2")

    def __init__(self) -> None:
        self._threads = configure_threads()
        self._manifests: dict[str, ModelManifest] = {}
        self._models: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "threads": self._threads, "cuda": torch.cuda.is_available()}

    def load(self, manifest: ModelManifest) -> None:
        self.unload(manifest.name)
        with self._lock:
            self._manifests[manifest.name] = manifest
        self._model(manifest.name, "cpu")

    def unload(self, name: str) -> None:
        with self._lock:
            self._manifests.pop(name, None)
            for key in [k for k in self._models if k[0] == name]:
                del self._models[key]

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        warnings: list[str] = []
        device = _placement(request.options, warnings)
        forecaster = self._model(model, device)
        future_len = int(forecaster.model.future_len)
        if request.horizon > future_len:
            raise InvalidRequest(
                f"horizon {request.horizon} is above model '{model}' limit of {future_len} steps "
                "(TiRex-2 forecasts at most that many at once)"
            )
        native = [round(float(q), 6) for q in forecaster.model.quantiles.tolist()]
        if request.quantiles:
            warnings.extend(plan_levels(native, request.quantiles, model))
        median = native.index(0.5)
        inputs = [_timeseries(series, request.horizon) for series in request.series]
        batch_size = batch_size_option(request.options, DEFAULT_BATCH_SIZE)
        with torch.inference_mode():
            outputs = forecaster.forecast(
                inputs, prediction_length=request.horizon, output_type="numpy", batch_size=batch_size
            )
        answers = []
        for series, heads in zip(request.series, outputs, strict=True):
            values = np.asarray(heads, dtype=np.float64)[0]  # (9, horizon): the target variate
            quantiles = pick_levels(values, native, request.quantiles) if request.quantiles else None
            answers.append(RunnerSeriesForecast(id=series.id, mean=values[median].tolist(), quantiles=quantiles))
        return RunnerForecast(forecasts=answers, warnings=warnings)

    def _model(self, name: str, device: str) -> Any:
        with self._lock:
            key = (name, device)
            if key not in self._models:
                manifest = self._manifests.get(name)
                if manifest is None:
                    raise ModelNotFound(f"model '{name}' is not loaded in the tirex runner")
                path = snapshot_dir(manifest)
                try:
                    self._models[key] = load_model(str(path), device=device)
                except Exception as exc:  # strict key check, truncated file, a config the class rejects
                    raise load_failure(name, path / "model.safetensors", exc) from exc
                logger.info("loaded %s on %s from %s", name, device, path)
            return self._models[key]


def _placement(options: dict[str, Any], warnings: list[str]) -> str:
    """``options.device`` as the other families read it; a GPU its kernels cannot use falls back to the CPU."""
    device = device_option(options)
    if device == "cpu":
        return "cpu"
    reason = gpu_fallback_reason()
    if reason is not None:
        warnings.append(f"TiRex-2 ran on the CPU: {reason}")
        return "cpu"
    return device


def _timeseries(series: SeriesInput, horizon: int) -> TimeseriesType:
    """The target, past-only covariates and known-future covariates (history + horizon) as tensors."""
    target = torch.tensor([[np.nan if v is None else v for v in series.target]], dtype=torch.float32)
    future_names = [n for n in series.past_covariates if n in series.future_covariates]
    past_names = [n for n in series.past_covariates if n not in series.future_covariates]
    past = (
        torch.tensor(np.array([series.past_covariates[n] for n in past_names], dtype=np.float32))
        if past_names
        else None
    )
    future = (
        torch.tensor(
            np.array(
                [list(series.past_covariates[n]) + list(series.future_covariates[n]) for n in future_names],
                dtype=np.float32,
            )
        )
        if future_names
        else None
    )
    return TimeseriesType(target=target, past_covariates=past, future_covariates=future)
