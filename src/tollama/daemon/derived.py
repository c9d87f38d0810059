"""Derived models in the daemon: creating them, pulling ready-made ones, forecasting with them.

A derived model never loads a runner of its own: each member forecasts through the ordinary
forecast path (its own runner, admission, batching, covariate fitting). Members load at once
(runner start-up and weight loading overlap), then forecast by lane (``lane_of``): those on the
CPU in turn, each with every core, those on an accelerator beside them. Nested derived models
recurse through that same path.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tollama.core.derived import combine, parts_of
from tollama.core.derived_create import CreateRequest, check_parts, derived_manifest, member_lookup
from tollama.core.durations import parse_keep_alive
from tollama.core.errors import InvalidRequest, TollamaError
from tollama.core.metrics import compute_metrics
from tollama.core.registry import check_model_name
from tollama.core.schemas import ForecastRequest, ModelManifest, ModelSpec, PullRequest, SeriesForecast, quantile_key
from tollama.core.store import ModelStore
from tollama.daemon.reporting import Report, Reporting

if TYPE_CHECKING:
    from tollama.daemon.admission import ClientGone
    from tollama.daemon.forecasting import ForecastService
    from tollama.daemon.pulling import PullService


T = TypeVar("T")
CPU = "cpu"


def is_derived(manifest: ModelSpec) -> bool:
    return manifest.ensemble is not None or manifest.auto is not None


def lane_of(request: ForecastRequest) -> str | None:
    """``CPU`` for a part computing on the CPU (parts in one lane run in turn); None: it runs at once.

    Every runner already uses all cores (torch's threads, statsforecast's workers), so CPU-bound
    parts at once only fight over them: measured on 2 cores, Fracast-0 beside AutoETS took 1.2-1.7x
    the SUM of their times (torch's threads wait for each other at every operation while the
    others hold the cores). In turn they cost that sum and no more. A part on an accelerator
    (``options.device`` cuda or auto) runs beside the CPU lane.
    """
    return CPU if request.options.get("device", CPU) == CPU else None


def naming(part: str, report: Report | None) -> Report:
    """``report`` for one part: its status lines with the part's name in front (others dropped)."""

    def named(event: dict[str, Any]) -> None:
        if report is not None and "status" in event:
            report({**event, "status": f"{part}: {event['status']}"})

    return named


class Lane:
    """Parts that take turns: one at a time, in the order they asked; after a failure none starts."""

    def __init__(self) -> None:
        self._turn = asyncio.Lock()  # serves waiters first come, first served
        self._failed = False

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self._turn:
            if self._failed:  # the request fails anyway (``first_failure``): send no more work
                raise asyncio.CancelledError
            try:
                return await call()
            except BaseException:
                self._failed = True
                raise


async def first_failure(calls: dict[str, Awaitable[T]]) -> dict[str, T]:
    """Run every call at once; the first that fails cancels the rest and raises, naming its model."""
    tasks = {name: asyncio.ensure_future(call) for name, call in calls.items()}
    try:
        await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
        for name, task in tasks.items():
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise named(task.exception(), name)  # type: ignore[arg-type]
        return {name: task.result() for name, task in tasks.items()}
    finally:
        for task in tasks.values():
            task.cancel()


def named(exc: BaseException, member: str) -> BaseException:
    """The member's own error (same status), its message saying which member it came from."""
    if isinstance(exc, TollamaError):
        exc.message = f"member '{member}': {exc.message}"
        exc.args = (exc.message,)
        return exc
    return TollamaError(f"member '{member}' failed: {type(exc).__name__}")


class DerivedService:
    """Create, pull and forecast derived models; the forecast service hands them over here."""

    def __init__(self, store: ModelStore, forecasts: ForecastService, pulls: PullService) -> None:
        self.store = store
        self.forecasts = forecasts
        self.pulls = pulls

    # --- create and pull ----------------------------------------------------------------------

    async def create_events(self, request: CreateRequest) -> AsyncIterator[dict[str, Any]]:
        """Checked entirely before the first line (errors keep their status), then written at once."""
        name = check_model_name(request.model)
        if request.ensemble is None and request.auto is None:
            raise InvalidRequest(f'creating \'{name}\' needs "ensemble" or "auto" (`--ensemble a,b` or `--auto a,b`)')
        if request.ensemble is not None and request.auto is not None:
            raise InvalidRequest(f"model '{name}' can be an ensemble or auto, not both; choose one")
        if self.store.is_installed(name) and not request.overwrite:
            raise InvalidRequest(
                f"model '{name}' already exists; pass --overwrite (API: \"overwrite\": true) to replace it"
            )
        spec = ModelSpec(
            name=name,
            family="ensemble" if request.ensemble is not None else "auto",
            ensemble=request.ensemble,
            auto=request.auto,
        )
        manifest = derived_manifest(spec, member_lookup(self.store))
        yield {"status": f"using {', '.join(parts_of(spec.ensemble, spec.auto))}", "done": False}
        yield {"status": "writing manifest", "done": False}
        self.store.put(manifest)
        yield {"status": "success", "done": True}

    async def pull_events(self, spec: ModelSpec, request: PullRequest) -> AsyncIterator[dict[str, Any]]:
        """A ready-made derived model from the registry: pull its parts (like any model), then it."""
        for part in parts_of(spec.ensemble, spec.auto):
            if self.store.is_installed(part):
                yield {"status": f"{part} is installed", "done": False}
                continue
            async for event in self.pulls.events(request.model_copy(update={"model": part})):
                if not event.get("done"):
                    yield {**event, "status": f"{part}: {event.get('status', '')}"}
        yield {"status": "writing manifest", "done": False}
        self.store.put(derived_manifest(spec, member_lookup(self.store)))
        yield {"status": "success", "done": True}

    # --- forecasting --------------------------------------------------------------------------

    async def events(
        self,
        manifest: ModelManifest,
        request: ForecastRequest,
        keep_alive: str | float | None,
        client_gone: ClientGone | None,
    ) -> AsyncIterator[dict[str, Any]]:
        started = time.perf_counter_ns()
        check_parts(manifest, member_lookup(self.store))  # every part still installed, no cycle
        if manifest.ensemble is not None:
            yield {"status": f"forecasting with {', '.join(manifest.ensemble.members)}", "done": False}
            work = Reporting(lambda report: self.ensemble(manifest, request, keep_alive, client_gone, report))
        else:
            from tollama.daemon.auto import auto_forecast

            yield {"status": f"backtesting {', '.join(manifest.auto.candidates)}", "done": False}  # type: ignore[union-attr]
            work = Reporting(lambda report: auto_forecast(self, manifest, request, keep_alive, client_gone, report))
        async for line in work.lines():  # each part's own status and progress, named
            yield line
        final = work.result
        final["total_duration"] = time.perf_counter_ns() - started
        yield final

    def member_request(self, request: ForecastRequest, member: str) -> ForecastRequest:
        """The request as a member sees it: its own name, no metrics (scored once, on the result)."""
        parameters = request.parameters.model_copy(update={"metrics": None})
        return request.model_copy(update={"model": member, "parameters": parameters})

    async def forecast_each_part(
        self,
        requests: dict[str, ForecastRequest],
        keep_alive: str | float | None,
        client_gone: ClientGone | None,
        report: Report | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Each part forecasts its request (usually the same one) through the ordinary path, by lane.

        ``report`` hears each part's status and progress lines, the part's name in front. Each
        answer's ``load_duration`` includes the part's share of the loading done beforehand.
        """
        parts = {m: self.member_request(r, m) for m, r in requests.items()}
        plain = [m for m in parts if not is_derived(self.store.get(m))]
        # Bad input fails before any part forecasts (a part's own check, run again when it does).
        await first_failure({m: asyncio.to_thread(self.forecasts.prepare, parts[m]) for m in plain})
        loads = await self.load_parts(plain, keep_alive, report)
        lanes: dict[str, Lane] = {}

        def turn(member: str, request: ForecastRequest) -> Awaitable[dict[str, Any]]:
            call = lambda: self.part_forecast(member, request, keep_alive, client_gone, report)  # noqa: E731
            lane = lane_of(request)
            return call() if lane is None else lanes.setdefault(lane, Lane()).run(call)

        answers = await first_failure({m: turn(m, r) for m, r in parts.items()})
        for member, answer in answers.items():
            answer["load_duration"] = max(int(answer.get("load_duration") or 0), loads.get(member, 0))
        return answers

    async def part_forecast(
        self,
        member: str,
        request: ForecastRequest,
        keep_alive: str | float | None,
        client_gone: ClientGone | None,
        report: Report | None,
    ) -> dict[str, Any]:
        """One part's final answer; its lines before that go to ``report``, named."""
        final: dict[str, Any] = {}
        named = naming(member, report)
        async for event in self.forecasts.events(request, keep_alive, client_gone):
            final = event
            if not event.get("done"):
                named(event)
        return final

    async def load_parts(
        self, names: list[str], keep_alive: str | float | None, report: Report | None = None
    ) -> dict[str, int]:
        """Load the models at once (nanoseconds each took), so a CPU lane never waits on a start-up.

        Skipped where loading ahead would be undone before the forecast: ``keep_alive`` 0, or a
        cap on loaded models (TOLLAMA_MAX_LOADED_MODELS) below their number. (Derived parts are
        not among ``names``: they load their own parts when they forecast.)
        """
        supervisor = self.forecasts.supervisor
        if keep_alive is not None and parse_keep_alive(keep_alive, supervisor.default_keep_alive) == 0:
            return {}
        if supervisor.max_loaded and supervisor.max_loaded < len(names):
            return {}
        return await first_failure({m: self.forecasts.load(m, keep_alive, naming(m, report)) for m in names})

    async def ensemble(
        self,
        manifest: ModelManifest,
        request: ForecastRequest,
        keep_alive: str | float | None,
        client_gone: ClientGone | None,
        report: Report | None = None,
    ) -> dict[str, Any]:
        spec = manifest.ensemble
        assert spec is not None
        answers = await self.forecast_each_part({m: request for m in spec.members}, keep_alive, client_gone, report)
        levels = [quantile_key(q) for q in request.quantiles]
        forecasts = combine([answers[m] for m in spec.members], spec.method, levels)
        warnings = [f"{m}: {w}" for m in spec.members for w in answers[m].get("warnings") or []]
        load = max(int(a.get("load_duration") or 0) for a in answers.values())
        return finish(manifest.name, request, forecasts, warnings, load)


def finish(
    name: str, request: ForecastRequest, forecasts: list[dict[str, Any]], warnings: list[str], load_ns: int
) -> dict[str, Any]:
    """The final forecast object of a derived model, with metrics scored on its own answer."""
    response: dict[str, Any] = {"model": name, "done": True, "forecasts": forecasts}
    metric_params = request.parameters.metrics
    if metric_params and metric_params.names:
        shaped = [SeriesForecast.model_construct(**item) for item in forecasts]
        metrics, metric_warnings = compute_metrics(
            metric_params.names, request.series, shaped, request.quantiles, metric_params.mase_seasonality
        )
        warnings = [*warnings, *metric_warnings]
        if metrics is not None:
            response["metrics"] = metrics.model_dump(mode="json")
    if warnings:
        response["warnings"] = warnings
    response["load_duration"] = load_ns
    return response
