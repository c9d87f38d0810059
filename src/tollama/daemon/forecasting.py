"""The forecast service: validate against the model, run it through the supervisor, finish.

Everything a family shares happens here once, so adapters stay thin: limits from the registry,
frequency checks, covariate fitting, quantile ordering, forecast timestamps, metrics, durations.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from pydantic import TypeAdapter

from tollama.core.covariates import fit_covariates
from tollama.core.durations import parse_keep_alive
from tollama.core.errors import InvalidRequest, RunnerUnavailable, TollamaError
from tollama.core.license_policy import check_license_policy
from tollama.core.lifecycle import KeepAliveRequest
from tollama.core.metrics import compute_metrics
from tollama.core.registry import load_registry
from tollama.core.schemas import (
    ForecastRequest,
    ModelManifest,
    RunnerForecast,
    RunnerSeriesForecast,
    SeriesForecast,
    SeriesInput,
    quantile_key,
)
from tollama.core.store import ModelStore
from tollama.core.timecheck import check_time_index, gap_warning, with_gaps
from tollama.core.timeindex import forecast_timestamps
from tollama.daemon.admission import Admission, ClientGone
from tollama.daemon.derived import DerivedService, is_derived
from tollama.daemon.forecast_run import ClientWatch, ForecastRun
from tollama.daemon.limits import RequestLimits, check_forecast_limits
from tollama.daemon.reporting import Report, Reporting
from tollama.daemon.runtimes.manager import PrepareRuntime
from tollama.daemon.supervisor import Supervisor

_API_ONLY = {"stream", "keep_alive"}
RETRIES_ON_RUNNER_LOSS = 1
# From this many target values on, checking and serialising a request leave the event loop.
OFF_LOOP_POINTS = 200_000
_SERIES_JSON = TypeAdapter(SeriesInput)


def runner_payload(request: ForecastRequest) -> bytes:
    """The request's JSON for the runner, one series at a time.

    pydantic serialises in Rust holding the GIL: a whole 64 MB request at once would stall the
    event loop (and every thread) for a quarter of a second; between series other threads run.
    """
    head = request.model_dump_json(exclude_none=True, exclude={*_API_ONLY, "series"}).encode()
    series = b",".join(_SERIES_JSON.dump_json(item, exclude_none=True) for item in request.series)
    return head[:-1] + b',"series":[' + series + b"]}"


@dataclass
class PreparedForecast:
    """A request checked against its model and ready for the runner."""

    manifest: ModelManifest
    request: ForecastRequest
    warnings: list[str]
    started_ns: int
    as_sent: bool = False  # the client's JSON says exactly this (no freq inferred, nothing dropped)


class ForecastService:
    def __init__(
        self,
        store: ModelStore,
        supervisor: Supervisor,
        default_model: Callable[[], str],
        admission: Admission | None = None,
        limits: RequestLimits | None = None,
        on_load: Callable[[str, float], None] | None = None,
        prepare_runtime: PrepareRuntime | None = None,
        license_policy: Callable[[], str] | None = None,
    ) -> None:
        self.store = store
        self.supervisor = supervisor
        self._default_model = default_model
        self.admission = admission or Admission()
        self.limits = limits or RequestLimits()
        self._on_load = on_load
        self._prepare_runtime = prepare_runtime
        self._license_policy = license_policy
        self.derived: DerivedService | None = None  # set by Services: derived models forecast there

    def prepare(self, request: ForecastRequest) -> PreparedForecast:
        """Every check that can fail before any work starts (errors keep their real status)."""
        started = time.perf_counter_ns()
        name = request.model or self._default_model()
        manifest = self.store.get(name)
        if self._license_policy is not None:
            check_license_policy(load_registry().get(name, manifest), self._license_policy(), "serve")
        check_forecast_limits(manifest, request, self.limits)
        warnings: list[str] = []
        as_sent = request.model == name
        checked = [self._check_series(series, request.horizon, manifest, warnings) for series in request.series]
        as_sent = as_sent and all(new is old for new, old in zip(checked, request.series, strict=True))
        if not as_sent:
            request = request.model_copy(update={"series": checked})
        if request.quantiles and not manifest.capabilities.quantiles:
            warnings.append(f"model '{name}' gives point forecasts only; requested quantiles repeat the point forecast")
        fitted, cov_warnings = fit_covariates(request, manifest.capabilities, name)
        warnings.extend(cov_warnings)
        as_sent = as_sent and fitted is request
        return PreparedForecast(manifest, fitted.model_copy(update={"model": name}), warnings, started, as_sent)

    def _check_series(
        self, series: SeriesInput, horizon: int, manifest: ModelManifest, warnings: list[str]
    ) -> SeriesInput:
        """The series as the runner gets it: its time index checked, missing steps as gaps, freq known."""
        try:
            index = check_time_index(series, self.limits.max_series_length)
            if index.gaps:
                warnings.append(gap_warning(series, index))
                series = with_gaps(series, index)
            if series.freq is None and index.freq is not None:
                series = series.model_copy(update={"freq": index.freq})
            forecast_timestamps(series, horizon)  # steps past 2262: a 400 now, not a 500 after the work
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        if series.has_gaps and not manifest.capabilities.missing_values:
            found = f"{index.gaps} missing '{series.freq}' steps" if index.gaps else "null values in target"
            raise InvalidRequest(
                f"series '{series.id}' has {found} and model '{manifest.name}' cannot take gaps; "
                "fill them or use a model that takes missing values"
            )
        return series

    async def events(
        self,
        request: ForecastRequest,
        keep_alive: str | float | None = None,
        client_gone: ClientGone | None = None,
        body: bytes | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Status lines, then the final response object (Ollama's streaming shape).

        A full queue raises before the first line, so it keeps its 503 and ``Retry-After``;
        ``client_gone`` resolves when the client hangs up, which drops a request still queued.
        ``body``, the request's JSON as received, goes to the runner as is when preparing the
        request changed nothing (the runner validates it the same way and ignores API fields):
        a large request is not serialised again.
        """
        keep = None if keep_alive is None else parse_keep_alive(keep_alive, self.supervisor.default_keep_alive)
        if self.derived is not None:
            manifest = self.store.get(request.model or self._default_model())
            if is_derived(manifest):
                async for event in self.derived.events(manifest, request, keep_alive, client_gone):
                    yield event
                return
        large = sum(len(series.target) for series in request.series) >= OFF_LOOP_POINTS
        prepared = await asyncio.to_thread(self.prepare, request) if large else self.prepare(request)
        name = prepared.manifest.name
        if self._prepare_runtime is not None:  # a family's first use may build its runtime
            async for event in self._prepare_runtime(prepared.manifest.family):
                yield event
        # Embedded in the frame as is (retries reuse it): the client's bytes, or serialised once in Rust.
        if body is not None and prepared.as_sent:
            payload = orjson.Fragment(_one_line(body))
        elif large:
            payload = orjson.Fragment(await asyncio.to_thread(runner_payload, prepared.request))
        else:
            payload = orjson.Fragment(prepared.request.model_dump_json(exclude_none=True, exclude=_API_ONLY))
        ticket = self.admission.enter(name)
        watch: ClientWatch | None = None
        try:
            yield {"status": f"loading model {name}", "done": False}
            async with ticket.turn(client_gone):
                raw, load_ns = None, 0
                watch = ClientWatch(client_gone)  # from here on, a client that leaves cancels the work
                for attempt in range(1 + RETRIES_ON_RUNNER_LOSS):
                    try:
                        async with self.supervisor.lease(prepared.manifest, keep) as lease:
                            if lease.batches:  # let concurrent requests reach the runner together
                                self.admission.allow_batching(name)
                            yield {"status": "forecasting", "done": False}
                            run = ForecastRun(lease, payload, watch)
                            async for progress in run.events():
                                yield progress
                            raw = run.result
                            load_ns = lease.load_duration
                        break
                    except RunnerUnavailable as exc:
                        # A runner that died before starting our request never saw it: send it to the
                        # next one, unless nobody waits for the answer any more.
                        if exc.request_started or attempt == RETRIES_ON_RUNNER_LOSS or watch.gone:
                            raise
                        yield {"status": f"runner restarted; loading model {name} again", "done": False}
        finally:
            if watch is not None:
                watch.close()
            ticket.leave()
        if load_ns and self._on_load:
            self._on_load(prepared.manifest.family, load_ns / 1e9)
        yield finish(prepared, RunnerForecast.model_validate(raw), load_ns)

    async def keep_alive_events(self, request: KeepAliveRequest) -> AsyncIterator[dict[str, Any]]:
        """Ollama's idiom for a model with no series: ``keep_alive`` 0 unloads it, else it loads and stays."""
        manifest = self.store.get(request.model)
        keep = parse_keep_alive(request.keep_alive, self.supervisor.default_keep_alive)
        if keep == 0:
            await self.supervisor.stop(manifest.name)
        else:
            loading = Reporting(lambda report: self.load(manifest.name, keep, report))
            async for event in loading.lines():
                yield event
        yield {"model": manifest.name, "done": True, "done_reason": "unload" if keep == 0 else "load", "forecasts": []}

    async def load(self, name: str, keep_alive: str | float | None = None, report: Report | None = None) -> int:
        """Load a model now (building its family's runtime on first use): nanoseconds it took, 0 if loaded.

        ``report`` hears the runtime build's lines and the loading line.
        """
        manifest = self.store.get(name)
        keep = None if keep_alive is None else parse_keep_alive(keep_alive, self.supervisor.default_keep_alive)
        if self._prepare_runtime is not None:
            async for event in self._prepare_runtime(manifest.family):
                if report is not None:
                    report(event)
        if report is not None:
            report({"status": f"loading model {name}", "done": False})
        async with self.supervisor.lease(manifest, keep) as lease:
            return lease.load_duration

    async def forecast(
        self,
        request: ForecastRequest,
        keep_alive: str | float | None = None,
        client_gone: ClientGone | None = None,
    ) -> dict[str, Any]:
        """The final object alone (``/v1/forecast`` and non-streaming calls)."""
        final: dict[str, Any] = {}
        async for event in self.events(request, keep_alive, client_gone):
            final = event
        return final


def _one_line(body: bytes) -> bytes:
    """A frame is one line: line breaks in strict JSON are only whitespace between tokens
    (inside strings they are escaped), so they become spaces."""
    if b"\n" in body or b"\r" in body:
        return body.replace(b"\n", b" ").replace(b"\r", b" ")
    return body


def finish(prepared: PreparedForecast, raw: RunnerForecast, load_ns: int) -> dict[str, Any]:
    """Order quantiles, add timestamps, metrics and durations: the ``ForecastResponse`` object.

    Built as plain JSON-ready data (no model to validate and dump again), with quantiles
    ordered for all series in one numpy call: a 1,000-series answer costs milliseconds here.
    """
    request = prepared.request
    by_id = {f.id: f for f in raw.forecasts}
    answers: list[RunnerSeriesForecast] = []
    for series in request.series:
        out = by_id.get(series.id)
        if out is None or len(out.mean) != request.horizon:
            raise TollamaError(f"runner answer for series '{series.id}' is missing or has the wrong length")
        answers.append(out)
    levels = request.quantiles
    ordered = _ordered_quantiles(answers, levels) if levels else [None] * len(answers)
    forecasts: list[dict[str, Any]] = []
    for series, out, quantiles in zip(request.series, answers, ordered, strict=True):
        timestamps = forecast_timestamps(series, request.horizon)
        item: dict[str, Any] = {"id": series.id}
        if series.freq is not None:
            item["freq"] = series.freq
        if timestamps:
            item["start_timestamp"] = timestamps[0]
        if timestamps is not None:
            item["timestamps"] = timestamps
        item["mean"] = out.mean
        if quantiles is not None:
            item["quantiles"] = quantiles
        forecasts.append(item)
    warnings = [*prepared.warnings, *raw.warnings]
    response: dict[str, Any] = {"model": request.model or prepared.manifest.name, "done": True, "forecasts": forecasts}
    metric_params = request.parameters.metrics
    if metric_params and metric_params.names:
        shaped = [SeriesForecast.model_construct(**item) for item in forecasts]
        metrics, metric_warnings = compute_metrics(
            metric_params.names, request.series, shaped, levels, metric_params.mase_seasonality
        )
        warnings.extend(metric_warnings)
        if metrics is not None:
            response["metrics"] = metrics.model_dump(mode="json")
    if warnings:
        response["warnings"] = warnings
    response["total_duration"] = time.perf_counter_ns() - prepared.started_ns
    response["load_duration"] = load_ns
    return response


def _ordered_quantiles(answers: list[RunnerSeriesForecast], levels: list[float]) -> list[dict[str, list[float]]]:
    """Non-decreasing in the level at every step, whatever the model's heads did.

    One (series, level, step) array for the whole request; lists are rebuilt only when a
    model's quantiles actually cross.
    """
    keys = [quantile_key(q) for q in levels]
    rows = [[(out.quantiles or {}).get(k, out.mean) for k in keys] for out in answers]
    try:
        cube = np.asarray(rows, dtype=float)
    except ValueError as exc:
        raise TollamaError("runner answer has quantiles of the wrong length") from exc
    if cube.ndim != 3 or cube.shape[2] != len(answers[0].mean):
        raise TollamaError("runner answer has quantiles of the wrong length")
    if len(keys) == 1 or bool((np.diff(cube, axis=1) >= 0).all()):
        return [dict(zip(keys, row, strict=True)) for row in rows]
    cube.sort(axis=1)
    return [dict(zip(keys, matrix, strict=True)) for matrix in cube.tolist()]
