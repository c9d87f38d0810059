"""Slow clients: a deadline for request headers, and one for each wait on the body.

uvicorn (h11) waits forever for a request's headers: a client that opens a connection and
trickles a header line now and then (slowloris) holds it, and its socket, with no key check yet.
``HeaderDeadlineProtocol`` closes a connection whose headers are not complete within
``header_timeout`` seconds of its opening, or of the previous response on a kept-alive
connection. The body has its own idle deadline in ``BodyLimitMiddleware`` (a 408). The number
of connections (and requests in progress) is capped as uvicorn's ``limit_concurrency`` caps it,
but the request past the cap gets our answer: a JSON ``{"error"}`` 503 with ``Retry-After``
(uvicorn's own is plain text without it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0
OVER_CAP_RETRY_AFTER_SECONDS = 1
logger = logging.getLogger(__name__)


async def _over_cap(scope: Any, receive: Any, send: Any) -> None:
    """The answer to a request past ``TOLLAMA_MAX_CONNECTIONS``; the connection closes after it."""
    body = orjson.dumps(
        {"error": "too many connections at once (TOLLAMA_MAX_CONNECTIONS); retry after the Retry-After seconds"}
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(OVER_CAP_RETRY_AFTER_SECONDS).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class HeaderDeadlineProtocol(H11Protocol):
    """h11 with a deadline on each request's headers (set by ``with_header_timeout``)."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT_SECONDS
    max_connections: int | None = None
    _header_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_concurrency = None  # the cap is ours (``handle_events``), answered with Retry-After
        self._app = self.app

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        cap = self.max_connections
        # The same count as uvicorn's limit_concurrency, checked as a request's headers complete.
        over = cap is not None and (len(self.connections) >= cap or len(self.tasks) >= cap)
        if over and self.app is not _over_cap:
            logger.warning("a request past the cap of %d connections gets 503", cap)
        self.app = _over_cap if over else self._app
        super().handle_events()
        if self.cycle is not before:  # a request's headers arrived: the app has it now
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the next request's headers get the same deadline

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers took over %gs", self.header_timeout)
            self.transport.close()


def with_limits(header_timeout: float, max_connections: int | None) -> type[Any]:
    """A ``HeaderDeadlineProtocol`` class with this deadline and cap (uvicorn takes a class, not an instance)."""
    settings = {"header_timeout": header_timeout, "max_connections": max_connections}
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), settings)
