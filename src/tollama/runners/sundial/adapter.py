"""Sundial base 128m through sktime's packaged copy of its model classes (never hub code).

The Hub repo's modeling code is not in transformers; sktime vendors it (``sktime.libs.sundial``)
for transformers 4.40, which this family's runtime pins. We read only ``config.json`` and
``model.safetensors`` from the snapshot. Sundial is target-only and samples its forecasts with a
flow-matching head: the backbone runs batched over series of equal length (it has no padding
mask), then each series' samples are drawn with the request's seed for that series alone, so an
answer is reproducible and independent of the other series in the batch.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import transformers
from sktime.libs.sundial.modeling_sundial import SundialForPrediction

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast, RunnerSeriesForecast
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.placements import Placements
from tollama.runners.sampling import int_option, seed_option, seeded, summarize_samples
from tollama.runners.series_context import context_values
from tollama.runners.snapshots import checkpoint_mismatch, load_failure, snapshot_dir
from tollama.runners.torch_options import batch_size_option, batches, configure_threads, device_option, dtype_name

if not (isinstance(SundialForPrediction, type) and issubclass(SundialForPrediction, transformers.PreTrainedModel)):
    # sktime quietly exports placeholder classes when torch or transformers cannot be imported
    raise ImportError("sktime.libs.sundial gave placeholder classes; torch and transformers 4.40 are needed")

DEFAULT_NUM_SAMPLES = 20  # the flow sampler runs 50 steps per sample: keep CPU requests quick
MAX_NUM_SAMPLES = 1000
DEFAULT_SERIES_PER_BATCH = 32
REVIN_EPSILON = 1e-5  # what SundialForPrediction.generate(revin=True) adds to the scale

logger = logging.getLogger("tollama.runner.sundial")


class SundialAdapter(FamilyAdapter):
    family = "sundial"
    libraries = ("torch", "transformers", "sktime")
    # Merged calls answer as unmerged ones: the backbone batches only series of equal length
    # (no padding), and each series' samples are drawn under the request's seed alone.
    batchable = True

    def __init__(self) -> None:
        self._threads = configure_threads()
        self._models: Placements[SundialForPrediction] = Placements("sundial", _load)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "threads": self._threads}

    def load(self, manifest: ModelManifest) -> None:
        self._models.load(manifest)

    def unload(self, name: str) -> None:
        self._models.unload(name)

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        logger.info("forecast model=%s series=%d horizon=%d", model, len(request.series), request.horizon)
        options = request.options
        num_samples = int_option(options, "num_samples", DEFAULT_NUM_SAMPLES, 1, MAX_NUM_SAMPLES)
        seed = seed_option(options)
        per_batch = batch_size_option(options, DEFAULT_SERIES_PER_BATCH)
        device, dtype = device_option(options), dtype_name(options)
        net = self._models.get(model, device, dtype)
        longest = net.config.output_token_lens[-1]
        if request.horizon > longest:
            raise InvalidRequest(f"horizon {request.horizon} is above model '{model}' output length of {longest}")
        warnings: list[str] = []
        groups: dict[int, list[tuple[int, np.ndarray]]] = {}
        for index, series in enumerate(request.series):
            values, notes = context_values(series, self._models.manifest(model).limits.max_context)
            warnings.extend(notes)
            groups.setdefault(values.size, []).append((index, values))
        answers: dict[int, RunnerSeriesForecast] = {}
        for members in groups.values():  # equal lengths only: the backbone has no padding mask
            for batch in batches(members, per_batch):
                x = torch.tensor(np.stack([v for _, v in batch]), dtype=torch.float32)
                samples = _sample(net, x.to(device=device, dtype=net.dtype), request.horizon, num_samples, seed)
                for (index, _), drawn in zip(batch, samples, strict=True):
                    answers[index] = summarize_samples(request.series[index].id, drawn, request.quantiles)
        return RunnerForecast(forecasts=[answers[i] for i in range(len(request.series))], warnings=warnings)


def _sample(net: SundialForPrediction, x: torch.Tensor, horizon: int, num_samples: int, seed: int) -> list[np.ndarray]:
    """``generate(x, max_new_tokens=horizon, num_samples=..., revin=True)``, one seed per series.

    The same steps as the library's single-step ``generate`` (normalise, backbone, flow sampler,
    denormalise), with the backbone batched and the sampler run per series.
    """
    with torch.inference_mode():
        mean = x.mean(dim=-1, keepdim=True)
        scale = x.std(dim=-1, keepdim=True, unbiased=False) + REVIN_EPSILON
        hidden = net.model(input_ids=(x - mean) / scale, use_cache=False, return_dict=True).last_hidden_state[:, -1]
        out = []
        for row in range(x.shape[0]):
            with seeded(seed):
                drawn = net.flow_loss.sample(hidden[row : row + 1], num_samples)[0, :, :horizon]
            out.append((drawn * scale[row] + mean[row]).float().cpu().numpy())
    return out


def _load(manifest: ModelManifest) -> SundialForPrediction:
    """Load strictly: a missing, extra or misshapen tensor is an error, never a random weight."""
    path = snapshot_dir(manifest)
    weights = path / "model.safetensors"
    try:
        net, info = SundialForPrediction.from_pretrained(
            str(path), local_files_only=True, output_loading_info=True, use_safetensors=True
        )
    except Exception as exc:  # a truncated file, a shape mismatch, an unreadable config
        raise load_failure(manifest.name, weights, exc) from exc
    mismatched = [key for key, *_ in info.get("mismatched_keys", [])]
    if info.get("missing_keys") or info.get("unexpected_keys") or mismatched or info.get("error_msgs"):
        raise checkpoint_mismatch(
            manifest.name,
            weights,
            missing=[*info.get("missing_keys", []), *mismatched],
            unexpected=info.get("unexpected_keys", []),
            detail="; ".join(str(m).splitlines()[0] for m in info.get("error_msgs", [])),
        )
    return net
