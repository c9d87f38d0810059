"""Fracast-0 called in-process: the library's own forecast, one series at a time, as a user would.

There is nothing to build: the weights ship in the ``fracast`` wheel. ``baseline`` loads the
pulled folder with ``FracastModel.from_pretrained(folder, weights=...)`` and forecasts each
series alone with ``FracastModel.forecast`` (its last 2,048 values, ``null`` as NaN), so the
runner's batching, padding and cutting are checked against the library's unpadded answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from fracast import FracastModel

from tollama.core.registry import get_spec
from tollama.runners.quantile_heads import pick_levels


def build(model: str, size: str, out: Path) -> None:
    raise SystemExit(f"{model}: the weights ship inside the fracast wheel; there is no checkpoint to build")


def baseline(model: str, snapshot: Path, request: dict[str, Any]) -> dict[str, Any]:
    net = FracastModel.from_pretrained(str(snapshot), weights=get_spec(model).source.weights or "w8")
    levels = request.get("quantiles") or []
    median = net.quantiles.index(0.5)
    forecasts = []
    for series in request["series"]:
        target = np.array([np.nan if v is None else v for v in series["target"]], dtype=np.float32)
        values = net.forecast(target, horizon=request["horizon"])  # (horizon, 9)
        forecasts.append(
            {
                "id": series["id"],
                "mean": values[:, median].astype(float).tolist(),
                "quantiles": pick_levels(values.T, net.quantiles, levels),
            }
        )
    return {"forecasts": forecasts}
