"""Moirai 2.0 checkpoints from uni2ts's own ``Moirai2Module``, and the library's own forecast.

``build`` writes ``config.json`` + ``model.safetensors`` with ``save_pretrained`` (the Hub
repo's layout). ``baseline`` loads the snapshot with ``Moirai2Module.from_pretrained`` and
forecasts with uni2ts's public paths, not with the runner's code: ``Moirai2Forecast.predict``
for series without covariates (it builds padding and missing-value masks itself), and the GluonTS
predictor (``create_predictor`` on a ``ListDataset``) for series with covariates, because
``predict`` truncates known-future covariates.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

R_SMALL: dict[str, Any] = {
    "d_model": 384,
    "d_ff": 1024,
    "num_layers": 6,
    "patch_size": 16,
    "max_seq_len": 512,
    "attn_dropout_p": 0.0,
    "dropout_p": 0.0,
    "num_predict_token": 4,
    "scaling": True,
    "quantile_levels": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
}
TINY: dict[str, Any] = {**R_SMALL, "d_model": 128, "d_ff": 128, "num_layers": 2}  # heads = d_model // 64
SIZES = {"tiny": TINY, "real": R_SMALL}
DEFAULT_CONTEXT = 4096  # the registry's max_context for moirai-2.0-R-small


def build(model: str, size: str, out: Path) -> None:
    from uni2ts.model.moirai2 import Moirai2Module

    Moirai2Module(**SIZES[size]).save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # the Hub repo's card is not a file the loader needs


def baseline(model: str, snapshot: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Each series alone through the library, at ``options.context_length`` or the default context."""
    import torch
    from uni2ts.model.moirai2 import Moirai2Forecast, Moirai2Module

    torch.set_num_threads(1)
    module = Moirai2Module.from_pretrained(str(snapshot))
    horizon = int(request["horizon"])
    levels = list(module.quantile_levels)
    forecasts = []
    for series in request["series"]:
        target = np.array([math.nan if v is None else v for v in series["target"]], dtype=np.float32)
        context = int(request.get("options", {}).get("context_length") or DEFAULT_CONTEXT)
        past = series.get("past_covariates") or {}
        future = series.get("future_covariates") or {}
        forecaster = Moirai2Forecast(
            module=module,
            prediction_length=horizon,
            context_length=context,
            target_dim=1,
            feat_dynamic_real_dim=len(future),
            past_feat_dynamic_real_dim=len(past) - len(future),
        )
        if past:
            heads = _with_covariates(forecaster, target, past, future)
        else:
            heads = forecaster.predict(past_target=[target])[0]
        median = heads[levels.index(0.5)]
        quantiles: dict[str, list[float]] = {}
        for q in request.get("quantiles", []):
            quantiles[repr(float(q))] = [float(np.interp(q, levels, heads[:, t])) for t in range(horizon)]
        forecasts.append({"id": series["id"], "mean": median.tolist(), "quantiles": quantiles})
    return {"forecasts": forecasts}


def _with_covariates(forecaster: Any, target: np.ndarray, past: dict, future: dict) -> np.ndarray:
    """The GluonTS predictor path: ``feat_dynamic_real`` (k, C+H), ``past_feat_dynamic_real`` (pk, C)."""
    from gluonts.dataset.common import ListDataset

    entry: dict[str, Any] = {"start": "2020-01-01", "target": target}
    known = [name for name in past if name in future]
    past_only = [name for name in past if name not in future]
    if known:
        entry["feat_dynamic_real"] = np.array([[*past[n], *future[n]] for n in known], dtype=np.float32)
    if past_only:
        entry["past_feat_dynamic_real"] = np.array([past[n] for n in past_only], dtype=np.float32)
    dataset = ListDataset([entry], freq="h")
    predictor = forecaster.create_predictor(batch_size=1)
    forecast = next(iter(predictor.predict(dataset)))
    levels = forecaster.module.quantile_levels
    return np.stack([forecast.quantile(q) for q in levels])
