"""Forecasts: ``/api/forecast`` (streams by default) and ``/v1/forecast`` (never streams)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tollama.core.schemas import ForecastApiRequest, ForecastRequest, ForecastResponse
from tollama.daemon.deps import ServicesDep
from tollama.daemon.streaming import respond

router = APIRouter()


@router.post("/api/forecast", response_model=ForecastResponse)
async def api_forecast(body: ForecastApiRequest, services: ServicesDep) -> Response:
    return await respond(services.forecasts.events(body, body.keep_alive), stream=body.stream)


@router.post("/v1/forecast", response_model=ForecastResponse, response_model_exclude_none=True)
async def v1_forecast(body: ForecastRequest, services: ServicesDep) -> dict[str, Any]:
    return await services.forecasts.forecast(body)
