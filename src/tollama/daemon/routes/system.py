"""Version, health and diagnostics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

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
        "keep_alive_seconds": settings.keep_alive,
    }
    payload["models"]["loaded"] = [m.model_dump() for m in services.supervisor.loaded_models()]
    payload["runners"] = services.supervisor.runner_statuses()
    payload["runtimes"] = [r.model_dump() for r in services.runtimes.describe_all()]
    return payload
