"""TimesFM 2.5 checkpoints from the ``timesfm`` package's own classes, and its own forecast.

``build`` saves ``TimesFM_2p5_200M_torch`` with the library's ``save_pretrained``
(``model.safetensors`` + ``config.json``). ``real`` is the published architecture (231.3M
parameters); ``tiny`` is the same code at transformer width 64 and 2 layers, recorded in
config.json under ``tollama_architecture`` so that loaders can build the right module (see
``tollama.runners.timesfm.architecture``).

``baseline`` calls the library's public API directly, at the full context (16384 minus the
rounded horizon): ``compile`` with the model card's forecast settings, then ``forecast`` for each
series without covariates alone, and one ``forecast_with_covariates`` (XReg, with the request's
``parameters.timesfm`` knobs) per set of covariate names, as the runner documents.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

TINY = {"model_dims": 64, "hidden_dims": 64, "num_heads": 4, "num_layers": 2}
QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
MAX_CONTEXT = 16384  # the registry's max_context for timesfm-2.5-200m


def build(model: str, size: str, out: Path) -> None:
    import timesfm

    from tollama.runners.timesfm.architecture import ARCHITECTURE_KEY, definition, module_definition

    if size == "real":
        timesfm.TimesFM_2p5_200M_torch(torch_compile=False).save_pretrained(str(out))
    else:
        with module_definition(definition(**TINY)):
            config = {"torch_compile": False, ARCHITECTURE_KEY: TINY}
            timesfm.TimesFM_2p5_200M_torch(torch_compile=False, config=config).save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # the model card is not a file the loader needs


def baseline(model: str, snapshot: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Series without covariates one by one; those with covariates in one XReg call per covariate set."""
    import torch
    from timesfm.timesfm_2p5.timesfm_2p5_base import linear_interpolation, strip_leading_nans

    from tollama.runners.timesfm.adapter import forecast_config
    from tollama.runners.timesfm.architecture import load

    torch.set_num_threads(1)
    tfm = load(snapshot)
    horizon = int(request["horizon"])
    max_horizon = 128 * math.ceil(horizon / 128)
    context = min(MAX_CONTEXT, tfm.model.config.context_limit - max_horizon)
    heads: dict[str, np.ndarray] = {}
    points: dict[str, np.ndarray] = {}  # the library's point forecast: what tollama returns as `mean`
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for series in request["series"]:
        if series.get("future_covariates"):
            groups.setdefault(tuple(sorted(series["future_covariates"])), []).append(series)
            continue
        tfm.compile(forecast_config(context, max_horizon, 1, backcast=False))
        point, quants = tfm.forecast(horizon=horizon, inputs=[_target(series)])
        heads[series["id"]], points[series["id"]] = quants[0], np.asarray(point[0])
    knobs = (request.get("parameters") or {}).get("timesfm") or {}
    for names, members in groups.items():
        inputs, covariates = [], {n: [] for n in names}
        for series in members:
            target = _target(series)
            lead = int(np.argmax(~np.isnan(target)))
            kept = linear_interpolation(strip_leading_nans(target))[-context:]
            inputs.append(kept)
            for n in names:
                past = series["past_covariates"][n][lead:]
                covariates[n].append(np.array([*past[len(past) - len(kept) :], *series["future_covariates"][n]]))
        tfm.compile(forecast_config(context, max_horizon, len(members), backcast=True))
        point, quants = tfm.forecast_with_covariates(
            inputs=inputs,
            dynamic_numerical_covariates=covariates,
            xreg_mode=knobs.get("xreg_mode", "xreg + timesfm"),
            ridge=float(knobs.get("ridge", 0.0)),
            force_on_cpu=bool(knobs.get("force_on_cpu", False)),
        )
        heads.update({s["id"]: np.asarray(q) for s, q in zip(members, quants, strict=True)})
        points.update({s["id"]: np.asarray(p) for s, p in zip(members, point, strict=True)})
    forecasts = []
    for series in request["series"]:
        out = heads[series["id"]]
        quantiles = {
            repr(float(q)): [float(np.interp(q, QUANTILES, out[t, 1:])) for t in range(horizon)]
            for q in request.get("quantiles", [])
        }
        forecasts.append(
            {"id": series["id"], "mean": points[series["id"]].astype(float).tolist(), "quantiles": quantiles}
        )
    return {"forecasts": forecasts}


def _target(series: dict[str, Any]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in series["target"]], dtype=float)
