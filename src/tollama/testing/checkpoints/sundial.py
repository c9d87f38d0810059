"""Sundial checkpoints in the ``thuml/sundial-base-128m`` repo layout, and the library's own forecast.

The Hub repo ships modeling code (``*.py`` + ``auto_map``) beside the weights. Our fixtures ship
the same file names, but their code raises at import: if anything ever executed code from a
snapshot (``trust_remote_code``), the tests would fail loudly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from sktime.libs.sundial.configuration_sundial import SundialConfig
from sktime.libs.sundial.modeling_sundial import SundialForPrediction

TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
REMOTE_CODE = {
    "configuration_sundial.py": "SundialConfig",
    "modeling_sundial.py": "SundialForPrediction",
    "flow_loss.py": "FlowLoss",
    "ts_generation_mixin.py": "TSGenerationMixin",
}
AUTO_MAP = {
    "AutoConfig": "configuration_sundial.SundialConfig",
    "AutoModelForCausalLM": "modeling_sundial.SundialForPrediction",
}


def build(model: str, size: str, out: Path) -> None:
    """``tiny``: 2 layers of width 32 with 1-layer flow head; ``real``: SundialConfig() = base 128m."""
    config = SundialConfig(**TINY, flow_loss_depth=1) if size == "tiny" else SundialConfig()
    SundialForPrediction(config).save_pretrained(out)
    config_file = out / "config.json"
    data = json.loads(config_file.read_text())
    data["auto_map"] = AUTO_MAP
    config_file.write_text(json.dumps(data, indent=2))
    for name, symbol in REMOTE_CODE.items():
        (out / name).write_text(f'raise RuntimeError("tollama must never execute {name} ({symbol}) from a snapshot")\n')


def _context(series: dict[str, Any], max_context: int) -> torch.Tensor:
    values = pd.Series(series["target"], dtype="float64").interpolate(limit_direction="both").to_numpy()
    return torch.tensor(values[-max_context:], dtype=torch.float32)


def baseline(model: str, snapshot: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Each series alone through ``generate()``, seeded with the request's seed."""
    from tollama.core.registry import get_spec

    options = request.get("options", {})
    num_samples, seed = options.get("num_samples", 20), options.get("seed", 0)
    horizon, levels = request["horizon"], request.get("quantiles", [])
    net = SundialForPrediction.from_pretrained(str(snapshot)).eval()
    max_context = get_spec(model).limits.max_context or 10**9
    forecasts = []
    for series in request["series"]:
        torch.manual_seed(seed)
        x = _context(series, max_context)[None]
        samples = net.generate(x, max_new_tokens=horizon, num_samples=num_samples, revin=True)[0].double()
        quantiles = torch.quantile(samples, torch.tensor(levels, dtype=torch.float64), dim=0) if levels else []
        forecasts.append(
            {
                "id": series["id"],
                "mean": samples.mean(0).tolist(),
                "quantiles": {str(q): row.tolist() for q, row in zip(levels, quantiles, strict=True)},
            }
        )
    return {"forecasts": forecasts}
