"""TiRex-2 checkpoints from the library's own ``TiRex2`` class, and its own forecasts.

The layout is the Hub repo's: ``config.json`` (the keyword arguments of ``TiRex2``) and
``model.safetensors``. ``tiny`` is a two-block sLSTM stack of width 16; ``real`` is our
reconstruction of a TiRex-sized stack (no published config can be read here), for speed only.
``baseline`` calls ``load_model(...).forecast`` one series at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
DIMS = {"tiny": (16, 2, 2, 32), "real": (512, 12, 4, 128)}  # embedding_dim, blocks, heads, patch / future_len


def config(size: str) -> dict[str, Any]:
    width, blocks, heads, patch = DIMS[size]
    return {
        "stack_config": {
            "templates": {
                "recurrent": {
                    "time_mixer": {"model_type": "bi-slstm", "embedding_dim": width, "num_heads": heads},
                    "variate_mixer": {"embedding_dim": width, "num_heads": heads},
                    "dropout": 0.0,
                    "eps": 1e-6,
                }
            },
            "recipe": ["recurrent"] * blocks,
        },
        "num_blocks": blocks,
        "embedding_dim": width,
        "input_patch_size": 32,
        "output_patch_size": 32,
        "quantiles": QUANTILES,
        "tokenizer_cfg": {"input_patch_size": 32, "output_patch_size": 32, "input_patch_stride": 32},
        "scaler_cfg": {"eps": 1e-8, "use_arcsinh": True},
        "h_expand": 2.0,
        "context_len": 2048,
        "future_len": patch if size == "tiny" else 4 * patch,
        "input_ff_dim": 2 * width,
        "act_func": "GELU",
        "dropout": 0.0,
    }


def build(model: str, size: str, out: Path) -> None:
    from safetensors.torch import save_model
    from tirex2 import TiRex2

    settings = config(size)
    net = TiRex2(**settings, device="cpu")
    (out / "config.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    save_model(net, str(out / "model.safetensors"))


def baseline(model: str, snapshot: Path, request: dict[str, Any]) -> dict[str, Any]:
    from tirex2 import TimeseriesType, load_model

    forecaster = load_model(str(snapshot), device="cpu")
    horizon, levels = request["horizon"], request.get("quantiles") or []
    answers = []
    for series in request["series"]:
        target = torch.tensor([[np.nan if v is None else v for v in series["target"]]], dtype=torch.float32)
        past_all = series.get("past_covariates", {})
        future = series.get("future_covariates", {})
        past_only = [n for n in past_all if n not in future]
        known = [n for n in past_all if n in future]
        item = TimeseriesType(
            target=target,
            past_covariates=torch.tensor([past_all[n] for n in past_only], dtype=torch.float32) if past_only else None,
            future_covariates=(
                torch.tensor([past_all[n] + future[n] for n in known], dtype=torch.float32) if known else None
            ),
        )
        with torch.inference_mode():
            heads = forecaster.forecast([item], prediction_length=horizon, output_type="numpy")[0][0]  # (9, H)
        answer: dict[str, Any] = {"id": series["id"], "mean": heads[QUANTILES.index(0.5)].tolist()}
        if levels:
            answer["quantiles"] = {repr(float(q)): heads[QUANTILES.index(q)].tolist() for q in levels}
        answers.append(answer)
    return {"forecasts": answers}
