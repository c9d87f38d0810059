"""Toto Open Base 1.0 through ``timecopilot-toto`` (Datadog's code with pins our torch can meet).

Past numeric covariates become extra variates of the series (one id group, so the variates
attend to each other); only the target's forecast is returned. ``options.num_samples`` 0 or
absent takes the model's mean path (deterministic, batched over series of equal shape); a
positive count samples each series alone under the request's seed, with the samples as the
batch (``samples_per_batch`` x variates bounded by ``SAMPLE_ROWS``), so memory stays bounded and a
series' answer never depends on the other series it was sent with.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import torch
from safetensors import safe_open
from toto.data.util.dataset import MaskedTimeseries
from toto.inference.forecaster import TotoForecaster
from toto.model.toto import Toto
from toto.model.transformer import XFORMERS_SWIGLU_AVAILABLE

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast, RunnerSeriesForecast, quantile_key
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.placements import Placements
from tollama.runners.sampling import bool_option, int_option, seed_option, seeded, summarize_samples
from tollama.runners.series_context import context_values, past_covariate_matrix
from tollama.runners.snapshots import checkpoint_mismatch, load_failure, snapshot_dir
from tollama.runners.torch_options import batch_size_option, batches, configure_threads, device_option, dtype_name

MAX_NUM_SAMPLES = 1024
SAMPLE_ROWS = 256  # rows per sampling pass: samples_per_batch x variates
DEFAULT_SERIES_PER_BATCH = 32
NOT_A_WEIGHT = "rotary_emb.freqs"  # recomputed buffers the library skips on load

logger = logging.getLogger("tollama.runner.toto")


class TotoAdapter(FamilyAdapter):
    family = "toto"
    libraries = ("torch", "timecopilot-toto")
    # Merged calls answer as unmerged ones: only series of equal shape share a pass (the
    # deterministic mean path), and sampled series run alone under the request's seed.
    batchable = True

    def __init__(self) -> None:
        self._threads = configure_threads()
        self._models: Placements[Toto] = Placements("toto", _load)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "threads": self._threads}

    def load(self, manifest: ModelManifest) -> None:
        self._models.load(manifest)

    def unload(self, name: str) -> None:
        self._models.unload(name)

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        logger.info("forecast model=%s series=%d horizon=%d", model, len(request.series), request.horizon)
        options = request.options
        num_samples = int_option(options, "num_samples", 0, 0, MAX_NUM_SAMPLES)
        seed = seed_option(options)
        use_kv_cache = bool_option(options, "use_kv_cache", True)
        per_batch = batch_size_option(options, DEFAULT_SERIES_PER_BATCH)
        device, dtype = device_option(options), dtype_name(options)
        if num_samples and dtype != "float32" and device == "cpu":
            raise InvalidRequest(
                f"options.dtype '{dtype}' cannot sample on the CPU (torch has no half-precision Student-T sampler "
                "there); use float32, or options.num_samples 0 for the mean path"
            )
        net = self._models.get(model, device, dtype)
        forecaster = TotoForecaster(net.model)
        warnings: list[str] = []
        groups: dict[tuple[int, int], list[tuple[int, np.ndarray]]] = {}
        for index, series in enumerate(request.series):
            target, notes = context_values(series, self._models.manifest(model).limits.max_context)
            warnings.extend(notes)
            covariates = past_covariate_matrix(series, list(series.past_covariates), target.size)
            channels = np.concatenate([target[None], covariates])
            groups.setdefault(channels.shape, []).append((index, channels))
        if request.quantiles and not num_samples:
            warnings.append("toto: quantiles need options.num_samples > 0 (e.g. 64); they repeat the mean forecast")

        def run(x: np.ndarray, samples: int | None, per_pass: int = 1) -> torch.Tensor:
            inputs = _masked(torch.tensor(x, dtype=torch.float32).to(device=device, dtype=getattr(torch, dtype)))
            with torch.inference_mode():
                out = forecaster.forecast(
                    inputs, request.horizon, num_samples=samples, samples_per_batch=per_pass, use_kv_cache=use_kv_cache
                )
            return (out.samples if samples else out.mean)[:, 0].float().cpu()

        answers: dict[int, RunnerSeriesForecast] = {}
        for (variates, _), members in groups.items():  # equal shapes only: padding would change the answer
            if num_samples:
                per_pass = _samples_per_batch(num_samples, variates)
                for index, x in members:
                    with seeded(seed):
                        drawn = run(x[None], num_samples, per_pass)[0].numpy()  # (horizon, samples)
                    answers[index] = summarize_samples(request.series[index].id, drawn.T, request.quantiles)
                continue
            for batch in batches(members, per_batch):
                means = run(np.stack([x for _, x in batch]), None).numpy()
                for (index, _), mean in zip(batch, means, strict=True):
                    answers[index] = _point(request.series[index].id, mean, request.quantiles)
        return RunnerForecast(forecasts=[answers[i] for i in range(len(request.series))], warnings=warnings)


def _samples_per_batch(num_samples: int, variates: int) -> int:
    """The largest divisor of ``num_samples`` (the library needs one) within the row budget."""
    cap = max(1, SAMPLE_ROWS // variates)
    return max(d for d in range(1, min(num_samples, cap) + 1) if num_samples % d == 0)


def _masked(x: torch.Tensor) -> MaskedTimeseries:
    """``(B, V, T)`` as one id group per series; Toto 1.0's backbone does not read timestamps."""
    return MaskedTimeseries(
        series=x,
        padding_mask=torch.ones_like(x, dtype=torch.bool),
        id_mask=torch.zeros_like(x, dtype=torch.int),
        timestamp_seconds=torch.zeros_like(x, dtype=torch.int),
        time_interval_seconds=torch.ones(x.shape[:2], dtype=torch.int, device=x.device),
        num_exogenous_variables=0,
    )


def _point(series_id: str, mean: np.ndarray, quantiles: list[float]) -> RunnerSeriesForecast:
    values = mean.astype(np.float64).tolist()
    quantile_values = {quantile_key(q): values for q in quantiles}
    return RunnerSeriesForecast(id=series_id, mean=values, quantiles=quantile_values or None)


def _load(manifest: ModelManifest) -> Toto:
    """``load_from_checkpoint(strict=True)``, plus the check it skips: tensors it would silently drop."""
    path = snapshot_dir(manifest)
    weights = path / "model.safetensors"
    try:
        with safe_open(str(weights), framework="pt") as handle:
            stored = dict.fromkeys(handle.keys())
        config = json.loads((path / "config.json").read_text())
        net = Toto.load_from_checkpoint(str(path), map_location="cpu", strict=True)
    except Exception as exc:  # missing tensors (strict), a truncated file, a config the class rejects
        raise load_failure(manifest.name, weights, exc) from exc
    fused = XFORMERS_SWIGLU_AVAILABLE and not config.get("pre_xformers_checkpoint", False)
    present = {k for k in Toto._map_state_dict_keys(stored, fused) if not k.endswith(NOT_A_WEIGHT)}
    expected = {k for k in net.state_dict() if not k.endswith(NOT_A_WEIGHT)}
    if present != expected:
        raise checkpoint_mismatch(manifest.name, weights, missing=expected - present, unexpected=present - expected)
    return net
