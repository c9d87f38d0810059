"""``GET /`` (is tollama running?) and ``POST /api/shutdown`` (stop the daemon ``tollama run`` started).

``/`` answers as Ollama's ``/`` does, in plain text, with no key needed: scripts probe it.
Shutdown goes through the same access rules as every route (``daemon.auth``): on a loopback bind
with no keys only local processes can reach it, otherwise it needs a key. It asks the server
to stop as SIGTERM would, so in-flight requests drain within ``TOLLAMA_SHUTDOWN_GRACE_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from tollama.core.errors import InvalidRequest
from tollama.core.lifecycle import ShutdownResponse
from tollama.daemon.deps import ServicesDep

router = APIRouter()
RUNNING_TEXT = "tollama is running"
STOP_SERVER_STATE = "stop_server"  # app.state attribute: a callable set by ``daemon.serve``


def root_answer(request: Request) -> Response:
    """What ``GET /`` answers; one function, so browsers (``Accept: text/html``) can be sent elsewhere."""
    return PlainTextResponse(RUNNING_TEXT)


@router.api_route("/", methods=["GET", "HEAD"], response_class=PlainTextResponse, summary="Is tollama running?")
async def root(request: Request) -> Response:
    """``tollama is running`` in plain text (no key needed), as Ollama answers ``/``."""
    return root_answer(request)


@router.post("/api/shutdown", response_model=ShutdownResponse, summary="Stop the daemon")
async def shutdown(request: Request, services: ServicesDep) -> ShutdownResponse:
    """Stop the daemon gracefully (``tollama serve --stop``); requests in flight finish first."""
    stop: Callable[[], None] | None = getattr(request.app.state, STOP_SERVER_STATE, None)
    if stop is None:
        raise InvalidRequest("this daemon runs inside another program, not `tollama serve`; stop that program")
    stop()
    return ShutdownResponse(status="shutting down", grace_seconds=services.settings.shutdown_grace)
