"""Request building and response parsing shared by ``Client`` and ``AsyncClient`` (no I/O).

Each verb is a ``Call``: method, path, body and a parser from JSON to a typed result. The two
clients only send calls; errors are rebuilt from the status into the ``core.errors`` classes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from tollama.core.config import DEFAULT_BASE_URL
from tollama.core.errors import DaemonUnreachable, TollamaError, error_from_status
from tollama.core.schemas import (
    ForecastRequest,
    ForecastResponse,
    ModelManifest,
    PsResponse,
    RuntimesResponse,
    TagsResponse,
)

T = TypeVar("T")
DEFAULT_TIMEOUT_SECONDS = 300.0


def _identity(data: dict[str, Any]) -> dict[str, Any]:
    return data


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    body: dict[str, Any] | None = None
    parse: Callable[[dict[str, Any]], T] = _identity  # type: ignore[assignment]


def resolve_base_url(base_url: str | None) -> str:
    """``base_url`` argument > ``TOLLAMA_BASE_URL`` > ``http://localhost:11435``."""
    url = base_url or os.environ.get("TOLLAMA_BASE_URL") or DEFAULT_BASE_URL
    if "://" not in url:
        url = f"http://{url}"
    return url.rstrip("/")


def resolve_timeout(timeout: float | None) -> float:
    """``timeout`` argument > ``TOLLAMA_FORECAST_TIMEOUT_SECONDS`` > 300 s (plus slack)."""
    if timeout is not None:
        return float(timeout)
    raw = os.environ.get("TOLLAMA_FORECAST_TIMEOUT_SECONDS")
    try:
        return float(raw) + 10.0 if raw else DEFAULT_TIMEOUT_SECONDS + 10.0
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS + 10.0


def forecast_body(request: ForecastRequest | dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = request.model_dump(mode="json", exclude_none=True) if isinstance(request, ForecastRequest) else dict(request)
    body.update({k: v for k, v in overrides.items() if v is not None})
    return body


class BaseClient:
    """Base URL, headers, timeout and one builder per route."""

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        key = api_key or os.environ.get("TOLLAMA_API_KEY")
        self.headers = {"content-type": "application/json", **(headers or {})}
        if key:
            self.headers["authorization"] = f"Bearer {key}"

    # --- builders (one per route) -----------------------------------------------------------

    @staticmethod
    def _version() -> Call[str]:
        return Call("GET", "/api/version", parse=lambda d: str(d["version"]))

    @staticmethod
    def _info() -> Call[dict[str, Any]]:
        return Call("GET", "/api/info")

    @staticmethod
    def _list() -> Call[TagsResponse]:
        return Call("GET", "/api/tags", parse=TagsResponse.model_validate)

    @staticmethod
    def _ps() -> Call[PsResponse]:
        return Call("GET", "/api/ps", parse=PsResponse.model_validate)

    @staticmethod
    def _show(model: str) -> Call[ModelManifest]:
        return Call("POST", "/api/show", {"model": model}, ModelManifest.model_validate)

    @staticmethod
    def _delete(model: str) -> Call[dict[str, Any]]:
        return Call("DELETE", "/api/delete", {"model": model})

    @staticmethod
    def _pull(model: str, stream: bool, options: dict[str, Any]) -> Call[dict[str, Any]]:
        body = {"model": model, "stream": stream, **{k: v for k, v in options.items() if v is not None}}
        return Call("POST", "/api/pull", body)

    @staticmethod
    def _forecast(body: dict[str, Any], stream: bool, path: str = "/api/forecast") -> Call[ForecastResponse]:
        payload = {**body, "stream": stream} if path == "/api/forecast" else body
        return Call("POST", path, payload, ForecastResponse.model_validate)

    @staticmethod
    def _runtimes() -> Call[RuntimesResponse]:
        return Call("GET", "/api/runtimes", parse=RuntimesResponse.model_validate)

    @staticmethod
    def _install_runtime(family: str, stream: bool, force: bool) -> Call[dict[str, Any]]:
        return Call("POST", "/api/runtimes/install", {"family": family, "stream": stream, "force": force})

    @staticmethod
    def _remove_runtime(family: str) -> Call[dict[str, Any]]:
        return Call("DELETE", "/api/runtimes", {"family": family})

    # --- parsing ----------------------------------------------------------------------------

    @staticmethod
    def parse_body(status: int, content: bytes) -> dict[str, Any]:
        """JSON of a complete response, or the error class its status stands for."""
        try:
            data = orjson.loads(content) if content else {}
        except orjson.JSONDecodeError:
            data = {"error": content.decode("utf-8", "replace").strip()[:300] or f"HTTP {status}"}
        if status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise error_from_status(status, str(message or f"HTTP {status}"))
        return data

    @staticmethod
    def parse_line(line: str | bytes) -> dict[str, Any]:
        """One NDJSON event; an ``{"error"}`` line raises."""
        data = orjson.loads(line)
        if isinstance(data, dict) and "error" in data:
            status = data.get("status")
            if isinstance(status, int) and status >= 400:
                raise error_from_status(status, str(data["error"]))
            raise TollamaError(str(data["error"]))
        return data

    def unreachable(self, exc: Exception) -> DaemonUnreachable:
        return DaemonUnreachable(
            f"cannot reach the tollama daemon at {self.base_url} ({type(exc).__name__}); "
            "start it with `tollama serve` or set TOLLAMA_BASE_URL"
        )
