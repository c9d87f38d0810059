"""FastAPI dependencies: routes declare what they need; the lifespan put it on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tollama.daemon.admission import ClientGone
from tollama.daemon.services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_client_gone(request: Request) -> ClientGone:
    """An awaitable that resolves when the client hangs up (the body is read by then)."""

    async def client_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            continue

    return client_gone


ServicesDep = Annotated[Services, Depends(get_services)]
ClientGoneDep = Annotated[ClientGone, Depends(get_client_gone)]
