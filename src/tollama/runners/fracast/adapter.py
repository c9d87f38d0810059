"""Fracast-0 behind the shared runner loop, through ``fracast``'s own loader and forecast call.

``load`` checks that the weight files in the pulled folder are the ones the pull hashed and
that the runtime holds the package version the pull recorded, then calls
``FracastModel.from_pretrained(folder, weights=...)`` (an absolute folder: the library would
try a hub download for anything else). ``forecast`` calls ``forecast_batch`` on at most
``options.batch_size`` series at a time; longer horizons use the library's own block-wise
continuation. The model forecasts each row on its own (convolutions along time, per-row
normalisation, no attention across rows), so the family is ``batchable``: concurrent requests
merge into one call and each series gets what it would get alone.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import threading
from pathlib import Path

import numpy as np
from fracast import FracastModel

from tollama.core.errors import ModelNotFound, RunnerUnavailable, TollamaError
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast, RunnerSeriesForecast
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.fracast.inputs import context_rows, padded
from tollama.runners.quantile_heads import pick_levels, plan_levels
from tollama.runners.snapshots import load_failure, snapshot_dir
from tollama.runners.torch_options import batch_size_option, batches, configure_threads, device_option

logger = logging.getLogger("tollama.runner.fracast")
DEFAULT_BATCH_SIZE = 8  # measured: per-series cost grows past a few series per call (cache)


class FracastAdapter(FamilyAdapter):
    family = "fracast"
    libraries = ("torch", "fracast")
    batchable = True

    def __init__(self) -> None:
        self._threads = configure_threads()
        self._manifests: dict[str, ModelManifest] = {}
        self._models: dict[tuple[str, str], FracastModel] = {}
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "threads": self._threads}

    def load(self, manifest: ModelManifest) -> None:
        folder = snapshot_dir(manifest)
        _check_package(manifest)
        _check_digests(manifest, folder)
        self.unload(manifest.name)
        with self._lock:
            self._manifests[manifest.name] = manifest
        self._model(manifest.name, "cpu")
        logger.info("loaded %s (%s weights) from %s", manifest.name, manifest.source.weights, folder)

    def unload(self, name: str) -> None:
        with self._lock:
            self._manifests.pop(name, None)
            for key in [k for k in self._models if k[0] == name]:
                del self._models[key]

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        options = request.options
        batch_size = batch_size_option(options, DEFAULT_BATCH_SIZE)
        net = self._model(model, device_option(options))
        rows, warnings = context_rows(request, model, net.context_length)
        if request.quantiles:
            warnings += plan_levels(net.quantiles, request.quantiles, model)
        if request.horizon > net.horizon:
            warnings.append(
                f"model '{model}' predicts {net.horizon} steps at once; the {request.horizon}-step horizon was "
                "continued block by block by the library (each block reads the previous median), which may lose "
                "accuracy"
            )
        logger.info("forecast model=%s series=%d horizon=%d", model, len(rows), request.horizon)
        blocks = [net.forecast_batch(padded(chunk), horizon=request.horizon) for chunk in batches(rows, batch_size)]
        values = np.concatenate(blocks)  # (series, horizon, levels)
        median = int(np.argmin(np.abs(np.asarray(net.quantiles) - 0.5)))  # the library's point forecast
        out = [
            RunnerSeriesForecast(
                id=series.id,
                mean=row[:, median].astype(float).tolist(),
                quantiles=pick_levels(row.T, net.quantiles, request.quantiles) if request.quantiles else None,
            )
            for series, row in zip(request.series, values, strict=True)
        ]
        return RunnerForecast(forecasts=out, warnings=warnings)

    def _model(self, name: str, device: str) -> FracastModel:
        """The model on ``device``, loaded through the library once per device."""
        with self._lock:
            manifest = self._manifests.get(name)
            if manifest is None:
                raise ModelNotFound(f"model '{name}' is not loaded in the fracast runner")
            key = (name, device)
            if key not in self._models:
                folder = snapshot_dir(manifest)
                try:
                    self._models[key] = FracastModel.from_pretrained(
                        str(folder), weights=manifest.source.weights or "w8", device=device
                    )
                except Exception as exc:  # a truncated file, a config that does not match the weights
                    raise load_failure(name, folder, exc) from exc
            return self._models[key]


def _check_package(manifest: ModelManifest) -> None:
    """The runtime must hold the package version the pull found (its code reads those weights)."""
    package, pulled = manifest.source.package or "fracast", manifest.resolved.package_version
    installed = importlib.metadata.version(package)
    if pulled and installed != pulled:
        raise RunnerUnavailable(
            f"model '{manifest.name}' was pulled from {package} {pulled} but the fracast runtime has {installed}; "
            f"pull it again with `tollama pull {manifest.name}`"
        )


def _check_digests(manifest: ModelManifest, folder: Path) -> None:
    """Every weight file the pull hashed must still have that digest (never load other weights)."""
    for name, digest in (manifest.resolved.sha256 or {}).items():
        path = folder / name
        try:
            found = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            found = f"unreadable ({exc.strerror})"
        if found != digest:
            raise TollamaError(
                f"model '{manifest.name}': weight file {path} is not the one the pull recorded (sha256 {found}, "
                f"expected {digest}); pull it again with `tollama rm {manifest.name} && tollama pull {manifest.name}`"
            )
