"""Derived models: ``POST /api/create`` (streams status lines like pull)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tollama.core.derived_create import CreateRequest
from tollama.daemon.deps import ServicesDep
from tollama.daemon.streaming import respond

router = APIRouter()


@router.post("/api/create")
async def create(body: CreateRequest, services: ServicesDep) -> Response:
    return await respond(services.derived.create_events(body), stream=body.stream)
