"""Per-family runtimes: list, install (streams the build), remove."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tollama.core.schemas import RuntimeRequest, RuntimesResponse
from tollama.daemon.deps import ServicesDep
from tollama.daemon.streaming import respond

router = APIRouter()


@router.get("/api/runtimes", response_model=RuntimesResponse)
async def list_runtimes(services: ServicesDep) -> RuntimesResponse:
    return RuntimesResponse(runtimes=services.runtimes.describe_all())


@router.post("/api/runtimes/install")
async def install_runtime(body: RuntimeRequest, services: ServicesDep) -> Response:
    return await respond(services.runtimes.install(body.family, force=body.force), stream=body.stream)


@router.delete("/api/runtimes")
async def remove_runtime(body: RuntimeRequest, services: ServicesDep) -> dict[str, bool]:
    removed = await services.runtimes.remove(body.family)
    await services.supervisor.retire(body.family)
    return {"removed": removed}
