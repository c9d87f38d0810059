"""The mock family: a naive forecaster, plus fault knobs for testing the daemon.

``options.delay_seconds`` sleeps before answering (a slow or hung model; a cancel from the
daemon ends the sleep), in ``options.progress_steps`` steps with a progress report after each
(long work that is moving), and ``options.exit_code`` makes the runner process exit mid-request (a crash).
``options.compute_seconds`` makes each call take that long with calls to one model taking turns,
like a model computing on one device: concurrent requests gain only from batching (mock is
``batchable``, so the loop merges compatible concurrent requests into one call). Each call is
logged to stderr (the runner log) with its series count and ``options.tag``, so tests can see
what reached a runner and how requests were merged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.schemas import (
    ForecastRequest,
    ModelManifest,
    RunnerForecast,
    RunnerSeriesForecast,
    quantile_key,
)
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.progress import current

logger = logging.getLogger("tollama.runner.mock")


def _number_option(options: dict[str, Any], key: str) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"options.{key} must be a number, not {type(value).__name__}")
    return float(value)


class MockAdapter(FamilyAdapter):
    family = "mock"
    batchable = True

    def __init__(self) -> None:
        self._loaded: set[str] = set()
        self._device = threading.Lock()  # what compute_seconds takes turns on

    def load(self, manifest: ModelManifest) -> None:
        self._loaded.add(manifest.name)
        logger.info("load model=%s", manifest.name)

    def unload(self, name: str) -> None:
        self._loaded.discard(name)
        logger.info("unload model=%s", name)

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        if model not in self._loaded:
            raise ModelNotFound(f"model '{model}' is not loaded in the mock runner")
        delay = _number_option(request.options, "delay_seconds") or 0.0
        compute = _number_option(request.options, "compute_seconds") or 0.0
        exit_code = _number_option(request.options, "exit_code")
        logger.info("forecast model=%s series=%d tag=%r", model, len(request.series), request.options.get("tag", "-"))
        if delay > 0:
            work, steps = current(), min(int(_number_option(request.options, "progress_steps") or 1), 10_000)
            for step in range(1, steps + 1):
                work.wait(delay / steps)
                if steps > 1:
                    work.report(step, steps)
        if compute > 0:
            with self._device:
                time.sleep(compute)
        if exit_code is not None:
            os._exit(int(exit_code))
        forecasts = []
        for series in request.series:
            last = next(v for v in reversed(series.target) if v is not None)
            mean = [float(last)] * request.horizon
            quantiles = {quantile_key(q): list(mean) for q in request.quantiles} or None
            forecasts.append(RunnerSeriesForecast(id=series.id, mean=mean, quantiles=quantiles))
        return RunnerForecast(forecasts=forecasts)
