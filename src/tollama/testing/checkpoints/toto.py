"""Toto checkpoints in the ``Datadog/Toto-Open-Base-1.0`` repo layout, and the library's own forecast.

Toto has no ``save_pretrained``: the repo is ``config.json`` (the constructor's arguments) and
``model.safetensors`` (the state dict), which is what ``build`` writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from safetensors.torch import save_file
from toto.data.util.dataset import MaskedTimeseries
from toto.inference.forecaster import TotoForecaster
from toto.model.toto import Toto

OPEN_BASE_1_0: dict[str, Any] = {
    "patch_size": 64,
    "stride": 64,
    "embed_dim": 768,
    "num_layers": 12,
    "num_heads": 12,
    "mlp_hidden_dim": 3072,
    "dropout": 0.1,
    "spacewise_every_n_layers": 12,
    "spacewise_first": False,
    "stabilize_with_global": True,
    "scaler_cls": "<class 'model.scaler.CausalPatchStdMeanScaler'>",
    "scale_factor_exponent": 10.0,
    "output_distribution_classes": ["<class 'model.distribution.MixtureOfStudentTsOutput'>"],
    "output_distribution_kwargs": {"k_components": 24},
    "use_memory_efficient_attention": True,
}
TINY = {
    **OPEN_BASE_1_0,
    "patch_size": 16,
    "stride": 16,
    "embed_dim": 64,
    "num_layers": 2,
    "num_heads": 2,
    "mlp_hidden_dim": 128,
    "spacewise_every_n_layers": 2,
    "output_distribution_kwargs": {"k_components": 4},
}
SAMPLE_ROWS = 256  # the runner's bound on rows per sampling pass (samples x variates), documented in the README


def build(model: str, size: str, out: Path) -> None:
    """``tiny``: 2 layers of width 64, patch 16; ``real``: the published 151M architecture."""
    config = TINY if size == "tiny" else OPEN_BASE_1_0
    net = Toto(**{**config, "use_memory_efficient_attention": False})
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(out / "model.safetensors"))
    (out / "config.json").write_text(json.dumps(config, indent=2))


def _channels(series: dict[str, Any], max_context: int) -> torch.Tensor:
    target = pd.Series(series["target"], dtype="float64").interpolate(limit_direction="both").to_numpy()
    rows = [target, *(pd.Series(v, dtype="float64").to_numpy() for v in series.get("past_covariates", {}).values())]
    return torch.tensor([list(r[-max_context:]) for r in rows], dtype=torch.float32)


def _samples_per_batch(num_samples: int, variates: int) -> int:
    cap = max(1, SAMPLE_ROWS // variates)
    return max(d for d in range(1, min(num_samples, cap) + 1) if num_samples % d == 0)


def baseline(model: str, snapshot: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Each series alone through ``TotoForecaster.forecast``; sampled with the request's seed."""
    from tollama.core.registry import get_spec

    options = request.get("options", {})
    num_samples, seed = options.get("num_samples") or None, options.get("seed", 0)
    horizon, levels = request["horizon"], request.get("quantiles", [])
    net = Toto.load_from_checkpoint(str(snapshot), map_location="cpu", strict=True).eval()
    forecaster = TotoForecaster(net.model)
    max_context = get_spec(model).limits.max_context or 10**9
    forecasts = []
    for series in request["series"]:
        x = _channels(series, max_context)
        inputs = MaskedTimeseries(
            series=x[None],
            padding_mask=torch.ones_like(x[None], dtype=torch.bool),
            id_mask=torch.zeros_like(x[None], dtype=torch.int),
            timestamp_seconds=torch.zeros_like(x[None], dtype=torch.int),
            time_interval_seconds=torch.ones((1, x.shape[0]), dtype=torch.int),
            num_exogenous_variables=0,
        )
        torch.manual_seed(seed)
        with torch.inference_mode():
            spb = _samples_per_batch(num_samples, x.shape[0]) if num_samples else 1
            out = forecaster.forecast(
                inputs,
                prediction_length=horizon,
                num_samples=num_samples,
                samples_per_batch=spb,
                use_kv_cache=options.get("use_kv_cache", True),
            )
        mean = out.mean[0, 0].double()
        if num_samples:
            samples = out.samples[0, 0].double()  # (horizon, samples)
            qs = torch.quantile(samples, torch.tensor(levels, dtype=torch.float64), dim=-1) if levels else []
            quantiles = {str(q): row.tolist() for q, row in zip(levels, qs, strict=True)}
        else:
            quantiles = {str(q): mean.tolist() for q in levels}
        forecasts.append({"id": series["id"], "mean": mean.tolist(), "quantiles": quantiles})
    return {"forecasts": forecasts}
