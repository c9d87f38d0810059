"""The mock family: a naive forecaster, plus fault knobs for testing the daemon.

``options.delay_seconds`` sleeps before answering (a slow or hung model) and
``options.exit_code`` makes the runner process exit mid-request (a crash).
"""

from __future__ import annotations

import os
import time

from tollama.core.errors import ModelNotFound
from tollama.core.schemas import (
    ForecastRequest,
    ModelManifest,
    RunnerForecast,
    RunnerSeriesForecast,
    quantile_key,
)
from tollama.runners.adapter import FamilyAdapter


class MockAdapter(FamilyAdapter):
    family = "mock"

    def __init__(self) -> None:
        self._loaded: set[str] = set()

    def load(self, manifest: ModelManifest) -> None:
        self._loaded.add(manifest.name)

    def unload(self, name: str) -> None:
        self._loaded.discard(name)

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        if model not in self._loaded:
            raise ModelNotFound(f"model '{model}' is not loaded in the mock runner")
        delay = float(request.options.get("delay_seconds", 0) or 0)
        if delay > 0:
            time.sleep(delay)
        if request.options.get("exit_code") is not None:
            os._exit(int(request.options["exit_code"]))
        forecasts = []
        for series in request.series:
            last = next(v for v in reversed(series.target) if v is not None)
            mean = [float(last)] * request.horizon
            quantiles = {quantile_key(q): list(mean) for q in request.quantiles} or None
            forecasts.append(RunnerSeriesForecast(id=series.id, mean=mean, quantiles=quantiles))
        return RunnerForecast(forecasts=forecasts)
