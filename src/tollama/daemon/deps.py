"""FastAPI dependencies: routes declare what they need; the lifespan put it on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tollama.daemon.admission import ClientGone
from tollama.daemon.services import Services


# Async on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, a hop that
# cost a small request about a tenth of its latency.
async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_client_gone(request: Request) -> ClientGone:
    """An awaitable that resolves when the client hangs up (the body is read by then)."""

    async def client_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            continue

    return client_gone


ServicesDep = Annotated[Services, Depends(get_services)]
ClientGoneDep = Annotated[ClientGone, Depends(get_client_gone)]
