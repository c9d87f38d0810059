"""Forecasts: ``/api/forecast`` (streams by default) and ``/v1/forecast`` (never streams)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tollama.core.schemas import ForecastApiRequest, ForecastRequest, ForecastResponse
from tollama.daemon.bodies import OrjsonRoute
from tollama.daemon.deps import ClientGoneDep, JsonBodyDep, ServicesDep
from tollama.daemon.streaming import respond

router = APIRouter(route_class=OrjsonRoute)


@router.post("/api/forecast", response_model=ForecastResponse)
async def api_forecast(
    body: ForecastApiRequest, services: ServicesDep, client_gone: ClientGoneDep, raw: JsonBodyDep
) -> Response:
    return await respond(services.forecasts.events(body, body.keep_alive, client_gone, raw), stream=body.stream)


@router.post("/v1/forecast", response_model=ForecastResponse, response_model_exclude_none=True)
async def v1_forecast(
    body: ForecastRequest, services: ServicesDep, client_gone: ClientGoneDep, raw: JsonBodyDep
) -> Response:
    return await respond(services.forecasts.events(body, client_gone=client_gone, body=raw), stream=False)
