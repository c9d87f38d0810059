"""The stats family adapter: registry models in, statsforecast forecasts out.

Nothing is downloaded and nothing is loaded: ``load`` only records the manifest (its
capabilities say whether covariates reach the model). statsforecast is imported once, when the
runner starts, so every request finds it warm.
"""

from __future__ import annotations

import logging
from functools import partial

from tollama.core.errors import ModelNotFound
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast, RunnerSeriesForecast
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.progress import current
from tollama.runners.stats.batch import plan_batches
from tollama.runners.stats.models import MODELS, forecast_batch, interval_levels
from tollama.runners.stats.season import season_override
from tollama.runners.stats.workers import chunk_size, map_chunks, warm_up, worker_count

logger = logging.getLogger("tollama.runner.stats")


class StatsAdapter(FamilyAdapter):
    family = "stats"
    libraries = ("statsforecast",)

    def __init__(self) -> None:
        self._loaded: dict[str, ModelManifest] = {}

    def load(self, manifest: ModelManifest) -> None:
        if manifest.name not in MODELS:
            raise ModelNotFound(
                f"model '{manifest.name}' is not a stats model; the stats runner serves {', '.join(MODELS)}"
            )
        warm_up()
        self._loaded[manifest.name] = manifest

    def unload(self, name: str) -> None:
        self._loaded.pop(name, None)

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        manifest = self._loaded.get(model)
        if manifest is None:
            raise ModelNotFound(f"model '{model}' is not loaded in the stats runner")
        spec = MODELS[model]
        batches, warnings = plan_batches(
            request,
            model,
            spec.min_length,
            season_override(request.parameters),
            use_covariates=manifest.capabilities.future_covariates_numeric,
        )
        interval_levels(request.quantiles)  # a bad level is refused before any worker starts
        for batch in batches:
            logger.info(
                "forecast model=%s series=%d season_length=%d covariates=%s",
                model,
                len(batch.members),
                batch.season_length,
                list(batch.covariates),
            )
        size = chunk_size(len(request.series), worker_count(), spec.chunk_series)
        chunks = [chunk for batch in batches for chunk in batch.chunks(size)]
        fit = partial(forecast_batch, spec, horizon=request.horizon, quantiles=request.quantiles)
        work, total, done = current(), len(request.series), 0
        results: dict[str, RunnerSeriesForecast] = {}
        for index, forecasts in map_chunks(fit, chunks, work):
            results.update((f.id, f) for f in forecasts)
            done += len(chunks[index].members)
            work.report(done, total)
        return RunnerForecast(forecasts=[results[s.id] for s in request.series], warnings=warnings)
