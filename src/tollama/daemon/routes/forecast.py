"""Forecasts: ``/api/forecast`` (streams by default) and ``/v1/forecast`` (never streams)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Discriminator, Tag

from tollama.core.lifecycle import FORECAST_KIND, KEEP_ALIVE_KIND, KeepAliveRequest, forecast_body_kind
from tollama.core.schemas import ForecastApiRequest, ForecastRequest, ForecastResponse
from tollama.daemon.bodies import OrjsonRoute
from tollama.daemon.deps import ClientGoneDep, JsonBodyDep, ServicesDep
from tollama.daemon.streaming import respond

router = APIRouter(route_class=OrjsonRoute)


ApiForecastBody = Annotated[
    Annotated[ForecastApiRequest, Tag(FORECAST_KIND)] | Annotated[KeepAliveRequest, Tag(KEEP_ALIVE_KIND)],
    Discriminator(forecast_body_kind),
]


@router.post("/api/forecast", response_model=ForecastResponse)
async def api_forecast(
    body: ApiForecastBody, services: ServicesDep, client_gone: ClientGoneDep, raw: JsonBodyDep
) -> Response:
    """Forecast; a body with a model and no series loads it (``keep_alive`` 0: unloads it), as Ollama does."""
    if isinstance(body, KeepAliveRequest):
        return await respond(services.forecasts.keep_alive_events(body), stream=body.stream)
    return await respond(services.forecasts.events(body, body.keep_alive, client_gone, raw), stream=body.stream)


@router.post("/v1/forecast", response_model=ForecastResponse, response_model_exclude_none=True)
async def v1_forecast(
    body: ForecastRequest, services: ServicesDep, client_gone: ClientGoneDep, raw: JsonBodyDep
) -> Response:
    return await respond(services.forecasts.events(body, client_gone=client_gone, body=raw), stream=False)
