"""The evaluation service: rolling-origin backtests of installed models, scored as fev scores them.

Every model's windows are one ordinary forecast request holding each series cut at each window
it can hold, run through ``ForecastService.events`` (capabilities, covariates, warnings, batching,
admission, timeouts): there is no second forecasting path, and a model's runner sees one batched
call for the whole backtest (as statsforecast's ``cross_validation`` fits all windows at once).
``EvaluationService.backtest`` is the reusable entry point (the derived ``auto`` model ranks its
candidates with it); ``events`` wraps it in the ``/api/evaluate`` stream.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from tollama.core.backtest import WindowCut, cut_windows, cutoff_label
from tollama.core.errors import ModelNotFound, TollamaError
from tollama.core.evaluation import EvaluateRequest
from tollama.core.schemas import ForecastRequest, quantile_key
from tollama.core.scores import NOT_RANKED, PairScore, aggregate, score_pair, seasonal_scale, why_undefined
from tollama.daemon.admission import ClientGone
from tollama.daemon.forecasting import ForecastService
from tollama.daemon.reporting import Reporting
from tollama.runners.stats.season import season_length_for

Progress = Callable[[dict[str, Any]], None]


@dataclass
class ModelRun:
    """One model's backtest: a score per (series id, window index), or the error that stopped it."""

    model: str
    pairs: dict[tuple[str, int], PairScore] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    forecasts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Backtest:
    """Every model's scores over the same windows; the stable result ``derived`` models read."""

    metrics: list[str]
    windows: list[dict[str, Any]]
    runs: dict[str, ModelRun]
    warnings: list[str]

    def series_scores(self, model: str) -> dict[str, dict[str, float]]:
        """Per series id: each metric aggregated over that series' windows (NaN where undefined)."""
        by_series: dict[str, list[PairScore]] = {}
        for (series_id, _), pair in self.runs[model].pairs.items():
            by_series.setdefault(series_id, []).append(pair)
        return {sid: aggregate(pairs, self.metrics) for sid, pairs in by_series.items()}

    def aggregate(self, model: str) -> dict[str, float]:
        """fev's aggregate over every (series, window) pair of ``model``."""
        return aggregate(list(self.runs[model].pairs.values()), self.metrics)


class EvaluationService:
    def __init__(self, forecasts: ForecastService) -> None:
        self.forecasts = forecasts

    def check_models(self, models: list[str]) -> None:
        """404 for the first model not installed, before any work starts."""
        for name in models:
            self.forecasts.store.get(name)  # raises ModelNotFound naming it

    async def backtest(
        self,
        request: EvaluateRequest,
        client_gone: ClientGone | None = None,
        progress: Progress | None = None,
    ) -> Backtest:
        """Run every model over every window and score the forecasts.

        A model that fails a window (any ``TollamaError`` but a missing model) keeps that error in
        its ``ModelRun`` and the others go on. ``progress`` receives the spec's progress lines.
        """
        self.check_models(request.models)
        grouped, warnings = cut_windows(request.series, request.horizon, request.windows, request.step_size)
        scales = _scales(grouped, request.seasonality)
        windows = [{"index": i, "cutoff": cutoff_label(cuts[0])} for i, cuts in enumerate(grouped) if cuts]
        runs: dict[str, ModelRun] = {}
        counter = _WindowCounter(request.models, grouped, progress)
        for name in request.models:
            run = runs[name] = ModelRun(name)
            started = time.perf_counter()
            cuts = [cut for window in grouped for cut in window]
            if cuts:
                try:
                    answer = await self._forecast_windows(request, name, grouped, counter, client_gone)
                except ModelNotFound:
                    raise
                except TollamaError as exc:
                    run.error = exc.message
                else:
                    _score_windows(run, request, cuts, answer, scales)
            counter.finish(name)
            run.seconds = time.perf_counter() - started
            warnings.extend(dict.fromkeys(run.warnings))
            warnings.extend(_undefined_warnings(run, request.metrics))
        return Backtest(list(request.metrics), windows, runs, warnings)

    async def _forecast_windows(
        self,
        request: EvaluateRequest,
        model: str,
        grouped: list[list[WindowCut]],
        counter: _WindowCounter,
        client_gone: ClientGone | None,
    ) -> dict[str, Any]:
        """Every window of ``model`` in one forecast request: one batched runner call, not one per window.

        A series held out in several windows appears once per window, under an id naming the
        window; warnings are given back the series' own id.
        """
        forecast_request, renamed = _windows_request(request, model, grouped)
        answer: dict[str, Any] = {}
        async for event in self.forecasts.events(forecast_request, request.keep_alive, client_gone):
            if event.get("done"):
                answer = event
            elif "completed" in event and event.get("total"):
                counter.advance(model, event["completed"] / event["total"])
        answer["warnings"] = [_own_ids(w, renamed) for w in answer.get("warnings", [])]
        return answer

    async def events(
        self, request: EvaluateRequest, client_gone: ClientGone | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Progress lines, then the final object; closing the stream cancels the backtest."""
        started = time.perf_counter_ns()
        self.check_models(request.models)  # before the first line, so a 404 keeps its status
        backtest = Reporting(lambda report: self.backtest(request, client_gone, report))
        async for line in backtest.lines():
            yield line
        yield final_object(request, backtest.result, time.perf_counter_ns() - started)


def _windows_request(
    request: EvaluateRequest, model: str, grouped: list[list[WindowCut]]
) -> tuple[ForecastRequest, dict[str, tuple[str, int]]]:
    """The forecast request of every window's cuts, in window order; and what each renamed copy is."""
    several = sum(1 for cuts in grouped if cuts) > 1
    taken = {cut.series.id for cuts in grouped for cut in cuts}
    renamed: dict[str, tuple[str, int]] = {}
    series = []
    for cuts in grouped:
        for cut in cuts:
            update: dict[str, Any] = {"actuals": None}
            if several:
                copy_id = f"{cut.series.id} (window {cut.window})"
                while copy_id in taken:  # a user id that already reads like a copy's
                    copy_id += "'"
                taken.add(copy_id)
                renamed[copy_id] = (cut.series.id, cut.window)
                update["id"] = copy_id
            series.append(cut.series.model_copy(update=update))
    forecast_request = ForecastRequest(
        model=model,
        horizon=request.horizon,
        quantiles=request.quantiles,
        series=series,
        parameters=request.parameters.model_copy(update={"metrics": None}),
        options=request.options,
    )
    return forecast_request, renamed


_QUOTED_COPY = re.compile(r"'([^']*? \(window \d+\)'*)'")


def _own_ids(warning: str, renamed: dict[str, tuple[str, int]]) -> str:
    """A warning naming a window's copy of a series, said of the series and its window."""

    def own(match: re.Match[str]) -> str:
        found = renamed.get(match.group(1))
        return f"'{found[0]}' (window {found[1]})" if found else match.group(0)

    return _QUOTED_COPY.sub(own, warning) if renamed else warning


class _WindowCounter:
    """The spec's progress lines, a window at a time, from the merged call's share of work done."""

    def __init__(self, models: list[str], grouped: list[list[WindowCut]], progress: Progress | None) -> None:
        self.progress = progress
        self.windows = [(index, len(cuts)) for index, cuts in enumerate(grouped) if cuts]
        self.series = sum(count for _, count in self.windows)
        self.total = len(models) * len(self.windows)
        self.completed = 0
        self.sent: dict[str, int] = {}

    def advance(self, model: str, share: float) -> None:
        """Report each window whose series all fall within ``share`` of the model's work."""
        done_series = share * self.series
        position = self.sent.get(model, 0)
        finished = sum(count for _, count in self.windows[:position])
        while position < len(self.windows) and finished + self.windows[position][1] <= done_series + 1e-9:
            finished += self.windows[position][1]
            self._line(model, position)
            position += 1
        self.sent[model] = position

    def finish(self, model: str) -> None:
        """The model's remaining windows (done, or skipped after an error)."""
        for position in range(self.sent.get(model, 0), len(self.windows)):
            self._line(model, position)
        self.sent[model] = len(self.windows)

    def _line(self, model: str, position: int) -> None:
        self.completed += 1
        if self.progress is not None:
            index, count = self.windows[position]
            self.progress(
                {
                    "status": "evaluating",
                    "model": model,
                    "window": index,
                    "completed": self.completed,
                    "total": self.total,
                    "series": count,
                    "done": False,
                }
            )


def _scales(grouped: list[list[WindowCut]], seasonality: int | None) -> dict[tuple[str, int], float]:
    """MASE denominators: each series' in-sample seasonal-naive MAE up to each cutoff."""
    scales = {}
    for cuts in grouped:
        for cut in cuts:
            season = seasonality or season_length_for(cut.series.freq)
            scales[(cut.series.id, cut.window)] = seasonal_scale(cut.series.target, season)
    return scales


def _score_windows(
    run: ModelRun,
    request: EvaluateRequest,
    cuts: list[WindowCut],
    answer: dict[str, Any],
    scales: dict[tuple[str, int], float],
) -> None:
    run.warnings.extend(answer.get("warnings", []))
    for cut, forecast in zip(cuts, answer["forecasts"], strict=True):
        quantiles = forecast.get("quantiles")
        by_level = {q: quantiles[quantile_key(q)] for q in request.quantiles} if quantiles else None
        key = (cut.series.id, cut.window)
        run.pairs[key] = score_pair(cut.series.actuals or [], forecast["mean"], by_level, request.metrics, scales[key])
        if request.return_forecasts:
            run.forecasts.append(
                {
                    "model": run.model,
                    "window": cut.window,
                    "id": cut.series.id,
                    "timestamps": forecast.get("timestamps"),
                    "mean": forecast["mean"],
                    "quantiles": quantiles,
                    "actuals": cut.series.actuals,
                }
            )


def _undefined_warnings(run: ModelRun, metrics: list[str]) -> list[str]:
    out = []
    for name in metrics:
        missing = sorted({sid for (sid, _), pair in run.pairs.items() if not math.isfinite(pair.values.get(name, 0.0))})
        if missing:
            shown = ", ".join(f"'{sid}'" for sid in missing[:3]) + (" ..." if len(missing) > 3 else "")
            out.append(
                f"{name} of model '{run.model}' is undefined for {len(missing)} series ({shown}): "
                f"{why_undefined(name)}; left out of its mean"
            )
    return out


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def final_object(request: EvaluateRequest, result: Backtest, total_ns: int) -> dict[str, Any]:
    """The spec's final object: leaderboard ranked by the first ranking metric, per-series bests."""
    ranking = next((m for m in result.metrics if m not in NOT_RANKED), None)
    rows = []
    for name, run in result.runs.items():
        values = {} if run.error else result.aggregate(name)
        row: dict[str, Any] = {"model": name, "rank": None}
        row.update({m: _finite(values.get(m, math.nan)) for m in result.metrics})
        row.update({"seconds": round(run.seconds, 3), "series": len({sid for sid, _ in run.pairs}), "error": run.error})
        rows.append(row)
    if ranking is not None:
        ranked = sorted((r for r in rows if r[ranking] is not None), key=lambda r: r[ranking])
        for position, row in enumerate(ranked, start=1):
            row["rank"] = position
        rows = ranked + [r for r in rows if r[ranking] is None]
    per_series: dict[str, dict[str, dict[str, float | None]]] = {}
    for name, run in result.runs.items():
        if run.error:
            continue
        for sid, values in result.series_scores(name).items():
            per_series.setdefault(sid, {})[name] = {m: _finite(v) for m, v in values.items()}
    series_out = []
    for item in request.series:
        scores = per_series.get(item.id)
        if not scores:
            continue
        candidates = [(s[ranking], m) for m, s in scores.items() if ranking and s.get(ranking) is not None]
        series_out.append({"id": item.id, "best": min(candidates)[1] if candidates else None, "scores": scores})
    final: dict[str, Any] = {
        "done": True,
        "horizon": request.horizon,
        "step": request.step_size,
        "windows": result.windows,
        "leaderboard": rows,
        "series": series_out,
        "warnings": list(dict.fromkeys(result.warnings)),
        "total_duration": total_ns,
    }
    if request.return_forecasts:
        final["forecasts"] = [f for run in result.runs.values() for f in run.forecasts]
    return final
