"""Model lifecycle: list, loaded, show, pull, delete."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tollama.core.schemas import (
    ModelManifest,
    ModelRequest,
    ModelSummary,
    PsResponse,
    PullRequest,
    TagsResponse,
)
from tollama.daemon.deps import ServicesDep
from tollama.daemon.streaming import respond

router = APIRouter()


@router.get("/api/tags", response_model=TagsResponse)
async def tags(services: ServicesDep) -> TagsResponse:
    return TagsResponse(
        models=[
            ModelSummary(
                name=m.name,
                family=m.family,
                size=m.size_bytes,
                modified_at=m.pulled_at,
                license=m.license.id,
                capabilities=m.capabilities,
            )
            for m in services.store.list()
        ]
    )


@router.get("/api/ps", response_model=PsResponse)
async def ps(services: ServicesDep) -> PsResponse:
    return PsResponse(models=services.supervisor.loaded_models())


@router.post("/api/show", response_model=ModelManifest)
async def show(body: ModelRequest, services: ServicesDep) -> ModelManifest:
    return services.store.get(body.model)


@router.post("/api/pull")
async def pull(body: PullRequest, services: ServicesDep) -> Response:
    return await respond(services.pulls.events(body), stream=body.stream)


@router.delete("/api/delete")
async def delete(body: ModelRequest, services: ServicesDep) -> dict:
    manifest = services.store.get(body.model)
    await services.supervisor.unload(body.model)
    services.store.delete(body.model)
    await services.pulls.release_cache(manifest)
    return {}
