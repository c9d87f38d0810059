"""FastAPI dependencies: routes declare what they need; the lifespan put it on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tollama.daemon.admission import ClientGone
from tollama.daemon.bodies import BODY_SCOPE_KEY
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


async def get_json_body(request: Request) -> bytes | None:
    """The request's JSON body as received, when an ``OrjsonRoute`` read it strictly."""
    return request.scope.get(BODY_SCOPE_KEY)


ServicesDep = Annotated[Services, Depends(get_services)]
JsonBodyDep = Annotated[bytes | None, Depends(get_json_body)]
ClientGoneDep = Annotated[ClientGone, Depends(get_client_gone)]
