"""Size limits: the request body (413, counted on the stream) and the forecast's shape (400).

``Content-Length`` may lie or be absent (chunked uploads), so the body limit counts the bytes
that actually arrive. Shape limits take the lower of the model's registry limit and the
daemon's default, and the message names the limit that was hit and where to change it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from tollama.core.errors import InvalidRequest, RequestTimeout, RequestTooLarge, ServerBusy
from tollama.core.schemas import ForecastRequest, ModelManifest
from tollama.daemon.bodies import BODY_SCOPE_KEY
from tollama.daemon.body_budget import BodyBudget
from tollama.daemon.errors import error_response
from tollama.daemon.memory_return import after_large_request

DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
# Every forecast value the daemon builds and serialises (series x horizon x (1 + quantiles)):
# a small request must not make a response of gigabytes.
MAX_FORECAST_VALUES = 10_000_000
# After a 413, read and drop up to this much more of the upload (nginx's lingering close), so the
# client reads our answer instead of a connection reset; past it, or after DRAIN_SECONDS, we hang up.
DRAIN_BYTES = 8 * 1024 * 1024
DRAIN_SECONDS = 5.0


@dataclass(frozen=True)
class RequestLimits:
    """The daemon-wide bounds (``TOLLAMA_MAX_*``); a model's registry limits may be lower."""

    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_horizon: int = 10_000
    max_series: int = 10_000
    max_series_length: int = 1_000_000
    max_quantiles: int = 99


def _check(what: str, value: int, model_limit: int | None, daemon_limit: int, env_name: str, model: str) -> None:
    if model_limit is not None and model_limit <= daemon_limit and value > model_limit:
        raise InvalidRequest(f"{what} {value} is above model '{model}' limit of {model_limit}")
    if value > daemon_limit:
        raise InvalidRequest(f"{what} {value} is above the daemon limit of {daemon_limit} ({env_name})")


def check_forecast_limits(manifest: ModelManifest, request: ForecastRequest, limits: RequestLimits) -> None:
    """Raise ``InvalidRequest`` naming the first bound the request goes past."""
    model = manifest.limits
    name = manifest.name
    _check("horizon", request.horizon, model.max_horizon, limits.max_horizon, "TOLLAMA_MAX_HORIZON", name)
    _check("series count", len(request.series), model.max_series, limits.max_series, "TOLLAMA_MAX_SERIES", name)
    _check(
        "quantile count",
        len(request.quantiles),
        model.max_quantiles,
        limits.max_quantiles,
        "TOLLAMA_MAX_QUANTILES",
        name,
    )
    for series in request.series:
        if len(series.target) > limits.max_series_length:
            raise InvalidRequest(
                f"series '{series.id}' has {len(series.target)} points, above the daemon limit of "
                f"{limits.max_series_length} (TOLLAMA_MAX_SERIES_LENGTH)"
            )
    values = len(request.series) * request.horizon * (1 + len(request.quantiles))
    if values > MAX_FORECAST_VALUES:
        raise InvalidRequest(
            f"this request asks for {values} forecast values (series x horizon x (1 + quantiles)), above the "
            f"limit of {MAX_FORECAST_VALUES}; split it into smaller requests"
        )


Scope = dict[str, Any]


class BodyLimitMiddleware:
    """Read the body up to ``max_bytes`` before the app sees it; one byte more is a 413.

    The bytes are reserved in ``budget`` as they arrive and held until the response ends, and
    a client that sends nothing for ``body_timeout`` seconds gets a 408 (a stalled upload must
    not hold a connection and its buffer for ever).
    """

    def __init__(self, app: Any, max_bytes: int, budget: BodyBudget | None = None, body_timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.budget = budget or BodyBudget()
        self.body_timeout = body_timeout

    def _too_large(self) -> RequestTooLarge:
        return RequestTooLarge(
            f"request body is larger than {self.max_bytes} bytes (TOLLAMA_MAX_REQUEST_BYTES); "
            "send fewer or shorter series per request"
        )

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held, sent = [0], [0]
        try:
            try:
                body = await self._read(scope, receive, held)
            except (RequestTooLarge, RequestTimeout, ServerBusy) as exc:
                await error_response(exc)(scope, receive, send)
                return
            if body is not None:
                await self.app(scope, _replay(body, receive), _counting(send, sent))
        finally:
            await self.budget.release(held[0])
            scope.pop(BODY_SCOPE_KEY, None)  # the body's bytes, not kept alive by cycles through the scope
            after_large_request(held[0] + sent[0])

    async def _read(self, scope: Scope, receive: Any, held: list[int]) -> bytes | None:
        """The whole body, or None when the client left; raises the 413, 408 or 503."""
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            if int(declared) <= self.max_bytes + DRAIN_BYTES:
                await _discard_upload(receive, DRAIN_BYTES)
            raise self._too_large()
        if declared is not None and declared.isdigit():
            await self.budget.reserve(int(declared))  # wait for room before reading any of it
            held[0] = int(declared)
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                async with asyncio.timeout(self.body_timeout):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"the request body stopped arriving for {self.body_timeout:g}s (TOLLAMA_BODY_TIMEOUT_SECONDS)"
                ) from None
            if message["type"] == "http.disconnect":
                return None  # nobody left to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                if message.get("more_body", False):
                    await _discard_upload(receive, DRAIN_BYTES)
                raise self._too_large()
            if size > held[0]:  # chunked, or more than Content-Length said
                await self.budget.reserve(size - held[0])
                held[0] = size
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _discard_upload(receive: Any, budget: int) -> None:
    """Read and drop the rest of an upload, up to ``budget`` bytes and ``DRAIN_SECONDS``."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while budget >= 0:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                budget -= len(message.get("body", b""))


def _counting(send: Any, sent: list[int]) -> Any:
    """A ``send`` that adds up the response's body bytes (a large answer leaves memory behind too)."""

    async def counting(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent[0] += len(message.get("body", b""))
        await send(message)

    return counting


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that gives the buffered body once, then the real channel (disconnects)."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
