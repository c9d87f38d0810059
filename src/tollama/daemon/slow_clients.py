"""Slow clients: a deadline for request headers, and one for each wait on the body.

uvicorn (h11) waits forever for a request's headers: a client that opens a connection and
trickles a header line now and then (slowloris) holds it, and its socket, with no key check yet.
``HeaderDeadlineProtocol`` closes a connection whose headers are not complete within
``header_timeout`` seconds of its opening, or of the previous response on a kept-alive
connection. The body has its own idle deadline in ``BodyLimitMiddleware`` (a 408), and the
number of connections is capped with uvicorn's ``limit_concurrency`` (a 503 past it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0


class HeaderDeadlineProtocol(H11Protocol):
    """h11 with a deadline on each request's headers (set by ``with_header_timeout``)."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT_SECONDS
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
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


def with_header_timeout(seconds: float) -> type[Any]:
    """A ``HeaderDeadlineProtocol`` class with this deadline (uvicorn takes a class, not an instance)."""
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout": seconds})
