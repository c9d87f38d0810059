"""Moirai 2.0 through uni2ts (the ``timecopilot-uni2ts`` build: same code, pins that keep our torch).

The snapshot is loaded with ``Moirai2Module.from_pretrained`` and every forecast calls
``Moirai2Forecast.forward`` on batches. We do not use ``predict``: it cuts known-future covariates
to the context length. The batches get what ``predict`` would build (``inputs.py``): causal-mean
imputation of gaps with the gaps marked unobserved, and left padding flagged in ``past_is_pad``.

Context: ``options.context_length`` when given (every series cut or padded to it, as ``predict``
does); otherwise the registry's ``max_context``. Padding marked in ``past_is_pad`` does not change
a forecast once the context is a whole number of patches, so a batch runs at the smallest such
length that holds its longest series; every series gets the answer it would get alone.

Moirai 2.0 predicts the quantiles 0.1 … 0.9 and no mean: ``mean`` is the median head.
``options.device`` (``cpu`` default) runs a copy of the module on CUDA when asked and available.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import threading
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"  # the runner loads absolute snapshot paths and never reaches a hub

import numpy as np
import torch
from uni2ts.model.moirai2 import Moirai2Forecast, Moirai2Module

from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast, RunnerSeriesForecast, SeriesInput
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.quantile_heads import pick_levels, plan_levels
from tollama.runners.torch_options import batch_size_option, batches, configure_threads, device_option
from tollama.runners.uni2ts.inputs import Layout, build_batch

logger = logging.getLogger("tollama.runner.uni2ts")
DEFAULT_BATCH_SIZE = 128
DEFAULT_MAX_CONTEXT = 4096


class MoiraiAdapter(FamilyAdapter):
    family = "uni2ts"
    libraries = ("torch", "timecopilot-uni2ts")
    # Merged calls answer as unmerged ones: left padding is masked (``past_is_pad``), so a
    # series' forecast does not depend on the series it is batched with.
    batchable = True

    def __init__(self) -> None:
        self.threads = configure_threads()
        self._models: dict[str, tuple[Moirai2Module, int]] = {}
        self._moved: dict[str, dict[str, Moirai2Module]] = {}
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "threads": self.threads}

    def load(self, manifest: ModelManifest) -> None:
        snapshot = manifest.resolved.snapshot_path
        if not snapshot:
            raise ModelNotFound(f"model '{manifest.name}' has no snapshot on disk; pull it again")
        module = Moirai2Module.from_pretrained(str(Path(snapshot).resolve())).eval()
        with self._lock:
            self._models[manifest.name] = (module, manifest.limits.max_context or DEFAULT_MAX_CONTEXT)
        logger.info("loaded %s from %s", manifest.name, snapshot)

    def unload(self, name: str) -> None:
        with self._lock:
            self._models.pop(name, None)
            self._moved.pop(name, None)

    def _on_device(self, name: str, module: Moirai2Module, device: str) -> Moirai2Module:
        """``options.device``: a copy of the module moved there once, kept beside the CPU one."""
        if device == "cpu":
            return module
        with self._lock:
            moved = self._moved.setdefault(name, {})
            if device not in moved:
                moved[device] = copy.deepcopy(module).to(device)
            return moved[device]

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        with self._lock:
            loaded = self._models.get(model)
        if loaded is None:
            raise ModelNotFound(f"model '{model}' is not loaded in the uni2ts runner")
        cpu_module, max_context = loaded
        fixed = _context_option(request.options, max_context)
        module = self._on_device(model, cpu_module, device_option(request.options))
        names = sorted({n for s in request.series for n in s.past_covariates})
        logger.info("forecast model=%s series=%d covariates %s", model, len(request.series), names)
        size = batch_size_option(request.options, DEFAULT_BATCH_SIZE)
        levels = [float(q) for q in module.quantile_levels]
        warnings = plan_levels(levels, request.quantiles, model)
        cap = fixed or max_context
        if long := [s.id for s in request.series if len(s.target) > cap]:
            warnings.append(f"{len(long)} series longer than the context of {cap} used only their last {cap} values")
        heads: dict[str, np.ndarray] = {}
        for layout, members in _by_layout(request.series).items():
            for chunk in batches(members, size):
                context = fixed or _padded_context(chunk, module.patch_size, max_context)
                heads.update(_run(module, layout, chunk, request.horizon, context))
        median = levels.index(0.5)
        forecasts = [
            RunnerSeriesForecast(
                id=s.id,
                mean=heads[s.id][median].tolist(),
                quantiles=pick_levels(heads[s.id], levels, request.quantiles) or None,
            )
            for s in request.series
        ]
        return RunnerForecast(forecasts=forecasts, warnings=warnings)


def _run(
    module: Moirai2Module, layout: Layout, chunk: list[SeriesInput], horizon: int, context: int
) -> dict[str, np.ndarray]:
    """One ``forward`` call: ``(len(chunk), quantiles, horizon)`` heads, keyed by series id."""
    forecaster = Moirai2Forecast(
        module=module,
        prediction_length=horizon,
        context_length=context,
        target_dim=1,
        feat_dynamic_real_dim=len(layout.known),
        past_feat_dynamic_real_dim=len(layout.past_only),
    )
    device = next(module.parameters()).device
    forecaster.to(device)  # the LightningModule's own ``device`` (used for quantile levels) follows
    inputs = {k: v.to(device) for k, v in build_batch(layout, chunk, horizon, context).items()}
    with torch.inference_mode():
        out = forecaster(**inputs).float().cpu().numpy()
    return {s.id: out[i] for i, s in enumerate(chunk)}


def _by_layout(series: list[SeriesInput]) -> dict[Layout, list[SeriesInput]]:
    """Series that share covariate names run together; covariate columns line up by name."""
    groups: dict[Layout, list[SeriesInput]] = {}
    for s in series:
        known = tuple(sorted(s.future_covariates))
        past_only = tuple(sorted(n for n in s.past_covariates if n not in s.future_covariates))
        groups.setdefault(Layout(known, past_only), []).append(s)
    return groups


def _padded_context(chunk: list[SeriesInput], patch: int, max_context: int) -> int:
    longest = max(len(s.target) for s in chunk)
    return min(max_context, patch * math.ceil(longest / patch))


def _context_option(options: dict[str, Any], max_context: int) -> int | None:
    value = options.get("context_length")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= max_context:
        raise InvalidRequest(f"options.context_length must be an integer from 1 to {max_context}, not {value!r}")
    return value
