"""Backtests: ``/api/evaluate`` (streams progress lines by default)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tollama.core.evaluation import EvaluateRequest, EvaluateResponse
from tollama.daemon.bodies import OrjsonRoute
from tollama.daemon.deps import ClientGoneDep, ServicesDep
from tollama.daemon.evaluation import EvaluationService
from tollama.daemon.streaming import respond

router = APIRouter(route_class=OrjsonRoute)


@router.post("/api/evaluate", response_model=EvaluateResponse)
async def api_evaluate(body: EvaluateRequest, services: ServicesDep, client_gone: ClientGoneDep) -> Response:
    service = EvaluationService(services.forecasts)  # stateless: the forecast service owns the work
    return await respond(service.events(body, client_gone), stream=body.stream)
