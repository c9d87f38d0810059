"""``auto`` models: per series, the candidate with the best backtest on that series' own history.

The backtest is the evaluation service's (``EvaluationService.backtest``): every candidate
forecasts each window once for all series (k·w forecasts, batched per candidate), scored as
``/api/evaluate`` scores them. Then each candidate forecasts, at once, the series it won: the
chosen forecasts together are one forecast of the request, so the whole costs k·w + 1 of them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tollama.core.derived import choose
from tollama.core.evaluation import EvaluateRequest
from tollama.core.schemas import ForecastRequest, ModelManifest
from tollama.daemon.evaluation import Backtest, EvaluationService

if TYPE_CHECKING:
    from tollama.daemon.admission import ClientGone
    from tollama.daemon.derived import DerivedService
    from tollama.daemon.reporting import Report


def candidate_scores(
    backtest: Backtest, candidates: list[str], metric: str
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Each candidate's score per series (its windows aggregated); a failed candidate has none."""
    scores: dict[str, dict[str, float]] = {}
    warnings: list[str] = []
    for name in candidates:
        run = backtest.runs[name]
        if run.error is not None:
            warnings.append(f"candidate '{name}' failed its backtest and was not chosen: {run.error}")
            scores[name] = {}
            continue
        scores[name] = {sid: values.get(metric, math.nan) for sid, values in backtest.series_scores(name).items()}
    return scores, warnings


async def auto_forecast(
    derived: DerivedService,
    manifest: ModelManifest,
    request: ForecastRequest,
    keep_alive: str | float | None,
    client_gone: ClientGone | None,
    report: Report | None = None,
) -> dict[str, Any]:
    from tollama.daemon.derived import finish

    spec = manifest.auto
    assert spec is not None
    candidates = list(spec.candidates)
    backtest = await EvaluationService(derived.forecasts).backtest(
        EvaluateRequest(
            models=candidates,
            series=[s.model_copy(update={"actuals": None}) for s in request.series],
            horizon=request.horizon,
            windows=spec.windows,
            quantiles=request.quantiles or [0.1, 0.5, 0.9],
            metrics=[spec.metric],
            parameters=request.parameters.model_copy(update={"metrics": None}),
            options=request.options,
            stream=False,
            keep_alive=keep_alive,
        ),
        client_gone,
        report,
    )
    scores, warnings = candidate_scores(backtest, candidates, spec.metric)
    ids = [s.id for s in request.series]
    chosen, choice_warnings = choose(candidates, ids, scores)
    warnings += choice_warnings
    groups = {c: [s for s in request.series if chosen[s.id] == c] for c in candidates}
    groups = {c: series for c, series in groups.items() if series}
    answers = await derived.forecast_each_part(
        {c: request.model_copy(update={"series": series}) for c, series in groups.items()},
        keep_alive,
        client_gone,
        report,
    )
    by_id: dict[str, dict[str, Any]] = {}
    for name, answer in answers.items():
        warnings += [f"{name}: {w}" for w in answer.get("warnings") or []]
        for item in answer["forecasts"]:
            by_id[item["id"]] = {**item, "model": name}
    load = max(int(a.get("load_duration") or 0) for a in answers.values())
    response = finish(manifest.name, request, [by_id[sid] for sid in ids], warnings, load)
    response["selection"] = {
        sid: {c: (round(v, 6) if math.isfinite(v := scores[c].get(sid, math.nan)) else None) for c in candidates}
        for sid in ids
    }
    return response
