"""Chronos-2 (and -small), Chronos-Bolt, Granite TTM r2 and FlowState checkpoints, and the libraries' forecasts.

Dims: ``real`` matches the published parameter counts (Chronos-2 119.5M, Bolt small 47.7M, base
205.3M); Chronos-2-small's 28M and TTM's 512-96 layouts are our reconstructions (TTM at 0.81M is
already test-sized, so ``tiny`` is the same); FlowState's ``real`` is the library's default config.
Files: ``config.json`` and ``model.safetensors``, as in the Hub repos.

``baseline`` calls each library the plain documented way, one series per call for Chronos-2 and
Granite, so that it checks the runner's grouping, batching, padding and slicing rather than
repeating them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

CHRONOS2_LEVELS = [0.01, 0.05, *[round(0.05 * k, 2) for k in range(2, 19)], 0.95, 0.99]
CHRONOS2_DIMS = {  # d_model, d_ff, d_kv, layers, heads; the small one's real dims are our reconstruction of 28M
    "chronos2": {"tiny": (32, 64, 8, 2, 4), "real": (768, 3072, 64, 12, 12)},
    "chronos-2-small": {"tiny": (32, 64, 8, 2, 4), "real": (512, 2048, 64, 6, 8)},
}
BOLT_DIMS = {  # d_model, d_ff, layers, heads, d_kv
    "chronos-bolt-small": {"tiny": (16, 32, 2, 4, 4), "real": (512, 2048, 6, 8, 64)},
    "chronos-bolt-base": {"tiny": (16, 32, 2, 4, 4), "real": (768, 3072, 12, 12, 64)},
}
TTM_512_96 = dict(
    context_length=512, prediction_length=96, patch_length=64, patch_stride=64, d_model=192, num_layers=2,
    expansion_factor=2, adaptive_patching_levels=3, decoder_num_layers=2, decoder_d_model=128,
    mode="common_channel", decoder_mode="common_channel", scaling="std", loss="mse",
)  # fmt: skip


FLOWSTATE_DIMS = {  # embedding_feature_dim, encoder_num_layers, encoder_state_dim, hippo blocks, decoder_dim
    "tiny": (16, 2, 16, 2, 16),
    "real": (512, 6, 512, 8, 256),  # the library's defaults
}


def chronos2_config(d_model: int, d_ff: int, d_kv: int, layers: int, heads: int, ctx: int = 8192) -> Any:
    from chronos.chronos2 import Chronos2CoreConfig

    return Chronos2CoreConfig(
        d_model=d_model, d_ff=d_ff, d_kv=d_kv, num_layers=layers, num_heads=heads, feed_forward_proj="relu",
        architectures=["Chronos2Model"], chronos_pipeline_class="Chronos2Pipeline",
        chronos_config={
            "context_length": ctx, "input_patch_size": 16, "input_patch_stride": 16, "output_patch_size": 16,
            "max_output_patches": 64, "quantiles": CHRONOS2_LEVELS, "use_reg_token": True, "use_arcsinh": True,
            "time_encoding_scale": ctx,
        },
    )  # fmt: skip


def bolt_config(d_model: int, d_ff: int, layers: int, heads: int, d_kv: int) -> Any:
    from transformers import T5Config

    return T5Config(
        d_model=d_model, d_ff=d_ff, d_kv=d_kv, num_layers=layers, num_decoder_layers=layers, num_heads=heads,
        feed_forward_proj="relu", vocab_size=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        is_encoder_decoder=True, initializer_factor=0.05,
        architectures=["ChronosBoltModelForForecasting"], chronos_pipeline_class="ChronosBoltPipeline",
        chronos_config={
            "context_length": 2048, "prediction_length": 64, "input_patch_size": 16, "input_patch_stride": 16,
            "quantiles": [i / 10 for i in range(1, 10)], "use_reg_token": True,
        },
    )  # fmt: skip


def build(model: str, size: str, out: Path) -> None:
    """Write a random-initialised checkpoint of registry model ``model`` into ``out``."""
    if model in CHRONOS2_DIMS:
        from chronos import Chronos2Model

        net: Any = Chronos2Model(chronos2_config(*CHRONOS2_DIMS[model][size]))
    elif model in BOLT_DIMS:
        from chronos.chronos_bolt import ChronosBoltModelForForecasting

        net = ChronosBoltModelForForecasting(bolt_config(*BOLT_DIMS[model][size]))
    elif model == "granite-ttm-r2":
        from tsfm_public import TinyTimeMixerConfig, TinyTimeMixerForPrediction

        net = TinyTimeMixerForPrediction(TinyTimeMixerConfig(num_input_channels=1, **TTM_512_96))
    elif model == "flowstate-r1.1":
        from tsfm_public import FlowStateConfig, FlowStateForPrediction

        embed, layers, state, blocks, decoder = FLOWSTATE_DIMS[size]
        config = FlowStateConfig(
            embedding_feature_dim=embed, encoder_num_layers=layers, encoder_state_dim=state,
            encoder_num_hippo_blocks=blocks, decoder_dim=decoder,
        )  # fmt: skip
        net = FlowStateForPrediction(config)
    else:
        raise ValueError(f"no torch-family checkpoint for model '{model}'")
    net.save_pretrained(str(out))
    for extra in set(p.name for p in out.iterdir()) - {"config.json", "model.safetensors"}:
        (out / extra).unlink()  # e.g. generation_config.json: not in the Hub repos


def baseline(model: str, snapshot: Path, request: dict[str, Any]) -> dict[str, Any]:
    """The library's own forecast of ``request`` on ``snapshot``."""
    dtype = getattr(torch, request.get("options", {}).get("dtype", "float32"))
    horizon, levels = request["horizon"], sorted(request.get("quantiles") or [])
    with torch.inference_mode():
        if model == "flowstate-r1.1":
            return {"forecasts": [_flowstate(snapshot, s, horizon, levels, dtype) for s in request["series"]]}
        if model == "granite-ttm-r2":
            from tsfm_public import TinyTimeMixerForPrediction

            net = TinyTimeMixerForPrediction.from_pretrained(
                str(snapshot), prediction_filter_length=horizon, dtype=dtype
            )
            return {"forecasts": [_granite(net.eval(), s, dtype) for s in request["series"]]}
        from chronos import BaseChronosPipeline

        pipe = BaseChronosPipeline.from_pretrained(str(snapshot), device_map="cpu", dtype=dtype)
        if model in CHRONOS2_DIMS:
            answers = [_chronos2_one(pipe, s, horizon, levels or [0.5]) for s in request["series"]]
        else:
            targets = [torch.tensor(_target(s)) for s in request["series"]]
            q, mean = pipe.predict_quantiles(targets, prediction_length=horizon, quantile_levels=levels or [0.5])
            answers = list(zip(q, mean, strict=True))
    return {"forecasts": [_answer(s["id"], q, m, levels) for s, (q, m) in zip(request["series"], answers, strict=True)]}


def _target(series: dict[str, Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in series["target"]], dtype=np.float32)


def _chronos2_one(pipe: Any, series: dict[str, Any], horizon: int, levels: list[float]) -> tuple[Any, Any]:
    def arr(values: list[Any]) -> np.ndarray:
        return np.array(values) if isinstance(values[0], str) else np.array(values, dtype=np.float32)

    item = {
        "target": _target(series),
        "past_covariates": {k: arr(v) for k, v in series.get("past_covariates", {}).items()},
        "future_covariates": {k: arr(v) for k, v in series.get("future_covariates", {}).items()},
    }
    q, mean = pipe.predict_quantiles([item], prediction_length=horizon, quantile_levels=levels)
    return q[0][0], mean[0][0]


def _granite(net: Any, series: dict[str, Any], dtype: torch.dtype) -> dict[str, Any]:
    """One series as given; the library pads or cuts it to its context length itself."""
    target = torch.from_numpy(_target(series))[None, :, None]
    observed = ~torch.isnan(target)
    out = net(past_values=torch.nan_to_num(target).to(dtype), past_observed_mask=observed)
    return {"id": series["id"], "mean": out.prediction_outputs[0, :, 0].float().tolist()}


def _flowstate(snapshot: Path, series: dict[str, Any], horizon: int, levels: list[float], dtype: Any) -> dict:
    """One series per call, its scale factor from ``freq`` by the library's ``get_fixed_factor``."""
    from tsfm_public import FlowStateForPrediction
    from tsfm_public.models.flowstate.utils.utils import get_fixed_factor

    net = FlowStateForPrediction.from_pretrained(str(snapshot), dtype=dtype).eval()
    scale = get_fixed_factor(series["freq"]) if series.get("freq") else net.config.scale_factor
    target = torch.from_numpy(_target(series))[None, :, None].to(dtype)
    out = net(past_values=target, scale_factor=scale, prediction_length=horizon, batch_first=True)
    heads = out.quantile_outputs[0, :, :, 0].float().numpy()  # (9, H)
    answer: dict[str, Any] = {"id": series["id"], "mean": out.prediction_outputs[0, :, 0].float().tolist()}
    if levels:
        native = list(net.config.quantiles)
        answer["quantiles"] = {repr(float(q)): heads[native.index(q)].tolist() for q in levels}
    return answer


def _answer(series_id: str, q: Any, mean: Any, levels: list[float]) -> dict[str, Any]:
    quantiles = {repr(float(level)): q[:, i].float().tolist() for i, level in enumerate(levels)}
    return {"id": series_id, "mean": mean.float().tolist(), "quantiles": quantiles}
