"""Model lifecycle: list, loaded, show, pull, delete."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tollama.core.derived import users_of
from tollama.core.schemas import (
    ModelManifest,
    ModelRequest,
    ModelSummary,
    PsResponse,
    PullRequest,
    TagsResponse,
)
from tollama.core.store import BrokenManifest, broken_summary
from tollama.daemon.deps import ServicesDep
from tollama.daemon.pulling import check_machine_settings
from tollama.daemon.streaming import respond

router = APIRouter()


@router.get("/api/tags", response_model=TagsResponse, response_model_exclude_none=True)
async def tags(services: ServicesDep) -> TagsResponse:
    manifests, broken = services.store.scan()
    models = [
        ModelSummary(
            name=m.name,
            family=m.family,
            size=m.size_bytes,
            modified_at=m.pulled_at,
            license=m.license.id,
            capabilities=m.capabilities,
        )
        for m in manifests
    ]
    return TagsResponse(models=models + [broken_summary(name, reason) for name, reason in broken.items()])


@router.get("/api/ps", response_model=PsResponse)
async def ps(services: ServicesDep) -> PsResponse:
    return PsResponse(models=services.supervisor.loaded_models())


@router.post("/api/show", response_model=ModelManifest)
async def show(body: ModelRequest, services: ServicesDep) -> ModelManifest:
    return services.store.get(body.model)


@router.post("/api/pull")
async def pull(body: PullRequest, request: Request, services: ServicesDep) -> Response:
    host = request.client.host if request.client else ""
    check_machine_settings(body, host, services.settings.config(), services.settings.paths.home)
    return await respond(services.pulls.events(body), stream=body.stream)


@router.delete("/api/delete")
async def delete(body: ModelRequest, services: ServicesDep) -> dict:
    try:
        manifest: ModelManifest | None = services.store.get(body.model)
    except BrokenManifest:
        manifest = None  # removed all the same; its cache, unknown, stays
    await services.supervisor.unload(body.model)
    services.store.delete(body.model)
    if manifest is not None:
        await services.pulls.release_cache(manifest)
    users = users_of(body.model, services.store.list())
    if not users:
        return {}
    # Removed as asked (as Ollama does), but not silently: say which derived models now lack a part.
    names, one = ", ".join(f"'{u}'" for u in users), len(users) == 1
    warning = (
        f"{names} {'uses' if one else 'use'} '{body.model}' and cannot forecast until '{body.model}' is "
        f"installed again, or {'it is' if one else 'they are'} created again without it"
    )
    return {"warnings": [warning]}
