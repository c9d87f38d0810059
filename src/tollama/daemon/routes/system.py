"""Version, health and diagnostics."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from tollama import __version__
from tollama.core.info import collect_local_info
from tollama.core.schemas import HealthResponse, VersionResponse
from tollama.daemon.deps import ServicesDep

router = APIRouter()


@router.get("/api/version", response_model=VersionResponse)
async def version() -> VersionResponse:
    return VersionResponse(version=__version__)


@router.get("/v1/health", response_model=HealthResponse)
async def health() -> HealthResponse:
    return HealthResponse(status="ok", version=__version__)


@router.get("/api/info")
async def info(services: ServicesDep) -> dict[str, Any]:
    settings = services.settings
    payload = collect_local_info(settings.paths)
    now = datetime.now(UTC)
    payload["daemon"] = {
        "version": __version__,
        "started_at": services.started_at.isoformat(),
        "uptime_seconds": int((now - services.started_at).total_seconds()),
        "host_binding": f"{settings.host}:{settings.port}",
        "forecast_timeout_seconds": settings.forecast_timeout,
        "forecast_total_timeout_seconds": settings.forecast_total_timeout,
        "keep_alive_seconds": settings.keep_alive,
        "num_parallel": settings.num_parallel,
        "num_parallel_batching": settings.batch_parallel,
        "batch_window_ms": settings.batching.window_seconds * 1000,
        "batch_max_series": settings.batching.max_series,
        "max_queue": settings.max_queue,
        "max_loaded_models": settings.max_loaded_models,
        "limits": asdict(settings.limits),
        "shutdown_grace_seconds": settings.shutdown_grace,
    }
    payload["models"]["loaded"] = [m.model_dump() for m in services.supervisor.loaded_models()]
    payload["runners"] = services.supervisor.runner_statuses()
    payload["runtimes"] = [r.model_dump() for r in services.runtimes.describe_all()]
    return payload


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus text format: requests, latency, queues, loaded models, runner restarts, load time."""
    body, content_type = services.metrics.render()
    return Response(body, media_type=content_type)
