"""TimesFM 2.5 through the ``timesfm`` package's torch model.

Every call compiles a ``ForecastConfig`` (cheap: it only sets limits; no ``torch.compile``) and
runs ``forecast``, or ``forecast_with_covariates`` (XReg) for series with known-future numeric
covariates. Left padding is masked by the model, so a batch runs at the smallest context (a
multiple of the 32-step patch) that holds its longest series, up to the registry's
``max_context`` and the model's context + horizon limit; every series gets the answer it would get
alone. XReg is one in-context ridge regression over all series of a call that share covariate
names: that is the library's design, so those series influence each other's covariate effect.

Output: ``mean`` is the library's own point forecast (the first result of ``forecast`` and
``forecast_with_covariates``: the median head, with XReg's covariate effect), so it matches what
a user of ``timesfm`` sees; quantiles 0.1 … 0.9 are its native heads, other levels are
interpolated (``quantile_heads``). Gaps: ``forecast`` strips leading ``null`` and interpolates
inner ones itself; XReg does not, so series sent to it get the same treatment here first.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"  # the runner loads absolute snapshot paths and never reaches a hub

import numpy as np
import timesfm
import torch

from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast, RunnerSeriesForecast, SeriesInput
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.quantile_heads import pick_levels, plan_levels
from tollama.runners.timesfm import architecture
from tollama.runners.timesfm.knobs import Knobs, parse_knobs, torch_compile_option
from tollama.runners.timesfm.series import Prepared, prepare
from tollama.runners.torch_options import batch_size_option, batches, configure_threads

logger = logging.getLogger("tollama.runner.timesfm")
DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_CONTEXT = 16384
PATCH = 32
OUTPUT_PATCH = 128
LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]  # heads 1..9 of the output; head 0 is the mean head


class _Loaded:
    """One model and what serialises its use: ``compile`` rewrites the model's forecast settings."""

    def __init__(self, model: Any, max_context: int) -> None:
        self.model = model
        self.max_context = max_context
        self.lock = threading.Lock()
        self.eager_forward = model.model.forward
        self.compiled_forward: Any = None

    def use_torch_compile(self, enabled: bool) -> None:
        """``options.torch_compile``: the library's own ``torch.compile(model.forward)``, made once."""
        if enabled and self.compiled_forward is None:
            self.compiled_forward = torch.compile(self.eager_forward)
        self.model.model.forward = self.compiled_forward if enabled else self.eager_forward


class TimesFMAdapter(FamilyAdapter):
    family = "timesfm"
    libraries = ("torch", "timesfm")

    def __init__(self) -> None:
        self.threads = configure_threads()
        self._models: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "threads": self.threads}

    def load(self, manifest: ModelManifest) -> None:
        snapshot = manifest.resolved.snapshot_path
        if not snapshot:
            raise ModelNotFound(f"model '{manifest.name}' has no snapshot on disk; pull it again")
        model = architecture.load(Path(snapshot))
        with self._lock:
            self._models[manifest.name] = _Loaded(model, manifest.limits.max_context or DEFAULT_MAX_CONTEXT)
        logger.info("loaded %s from %s (device %s)", manifest.name, snapshot, model.model.device)

    def unload(self, name: str) -> None:
        with self._lock:
            self._models.pop(name, None)

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        with self._lock:
            loaded = self._models.get(model)
        if loaded is None:
            raise ModelNotFound(f"model '{model}' is not loaded in the timesfm runner")
        knobs = parse_knobs(request.parameters)
        names = sorted({n for s in request.series for n in s.past_covariates})
        logger.info("forecast %s: %d series, covariates %s", model, len(request.series), names)
        compile_forward = torch_compile_option(request.options)
        size = batch_size_option(request.options, DEFAULT_BATCH_SIZE)
        max_horizon = OUTPUT_PATCH * math.ceil(request.horizon / OUTPUT_PATCH)
        cap = min(loaded.max_context, loaded.model.model.config.context_limit - max_horizon)
        cap -= cap % PATCH
        warnings = plan_levels(LEVELS, request.quantiles, model)
        if long := [s.id for s in request.series if len(s.target) > cap]:
            warnings.append(f"{len(long)} series longer than the context of {cap} used only their last {cap} values")
        groups = [[prepare(s, cap) for s in group] for group in _by_covariates(request.series).values()]
        _check_xreg_lengths(groups, knobs)
        heads: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # id -> (point forecast, quantile heads)
        with loaded.lock:
            loaded.use_torch_compile(compile_forward)
            plain = [s for s in request.series if not s.future_covariates]
            for chunk in batches(plain, size):
                heads.update(_forecast(loaded.model, chunk, request.horizon, max_horizon, cap))
            for prepared in groups:
                heads.update(_forecast_xreg(loaded.model, prepared, knobs, size, max_horizon, cap))
        forecasts = [
            RunnerSeriesForecast(
                id=s.id,
                mean=np.asarray(heads[s.id][0], dtype=float).tolist(),
                quantiles=pick_levels(heads[s.id][1][:, 1:].T, LEVELS, request.quantiles) or None,
            )
            for s in request.series
        ]
        return RunnerForecast(forecasts=forecasts, warnings=warnings)


def forecast_config(context: int, max_horizon: int, batch: int, backcast: bool) -> Any:
    """The forecast settings TimesFM 2.5's model card recommends, at this call's sizes."""
    return timesfm.ForecastConfig(
        max_context=context,
        max_horizon=max_horizon,
        normalize_inputs=True,
        use_continuous_quantile_head=True,
        force_flip_invariance=True,
        infer_is_positive=True,
        fix_quantile_crossing=True,
        return_backcast=backcast,
        per_core_batch_size=batch,
    )


def _context(lengths: list[int], cap: int) -> int:
    return min(cap, PATCH * math.ceil(max(lengths) / PATCH))


def _forecast(
    model: Any, chunk: list[SeriesInput], horizon: int, max_horizon: int, cap: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``forecast`` on one batch; ``null`` becomes NaN, which the library strips or interpolates."""
    inputs = [np.array([math.nan if v is None else v for v in s.target], dtype=float) for s in chunk]
    model.compile(forecast_config(_context([len(x) for x in inputs], cap), max_horizon, len(chunk), backcast=False))
    with torch.inference_mode():
        points, quantiles = model.forecast(horizon=horizon, inputs=list(inputs))  # it pads the list it gets
    return {s.id: (points[i], quantiles[i]) for i, s in enumerate(chunk)}


def _forecast_xreg(
    model: Any, group: list[Prepared], knobs: Knobs, size: int, max_horizon: int, cap: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One ``forecast_with_covariates`` call: one ridge fit; the model itself runs ``size`` series at a time."""
    names = sorted(group[0].covariates)
    batch = min(size, len(group))
    model.compile(forecast_config(_context([len(p.target) for p in group], cap), max_horizon, batch, backcast=True))
    with torch.inference_mode():
        points, quantiles = model.forecast_with_covariates(
            inputs=[p.target for p in group],
            dynamic_numerical_covariates={n: [p.covariates[n] for p in group] for n in names},
            xreg_mode=knobs.xreg_mode,
            ridge=knobs.ridge,
            force_on_cpu=knobs.force_on_cpu,
        )
    return {p.id: (np.asarray(points[i]), np.asarray(quantiles[i])) for i, p in enumerate(group)}


def _check_xreg_lengths(groups: list[list[Prepared]], knobs: Knobs) -> None:
    """'timesfm + xreg' fits residuals after the first patch; the library breaks on shorter series."""
    if knobs.xreg_mode != "timesfm + xreg":
        return
    for group in groups:
        for p in group:
            if len(p.target) <= PATCH:
                raise InvalidRequest(
                    f"series '{p.id}': xreg_mode 'timesfm + xreg' needs more than {PATCH} observed values "
                    f"(it has {len(p.target)}); send a longer history or use 'xreg + timesfm'"
                )


def _by_covariates(series: list[SeriesInput]) -> dict[tuple[str, ...], list[SeriesInput]]:
    groups: dict[tuple[str, ...], list[SeriesInput]] = {}
    for s in series:
        if s.future_covariates:
            groups.setdefault(tuple(sorted(s.future_covariates)), []).append(s)
    return groups
