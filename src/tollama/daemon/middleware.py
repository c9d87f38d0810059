"""ASGI middleware: what a browser on another site cannot make the daemon do.

A web page may send "simple" requests to any address without asking: a POST whose body is
``text/plain``, a form, or untyped. A key-less daemon on loopback would obey them (install
models, pull through a proxy). So every state-changing request with a body must say
``Content-Type: application/json`` (a browser must then ask first, in a CORS preflight, which
refuses foreign origins), and a request that names a foreign ``Origin`` is refused outright.
Allowed origins are CORS's: loopback pages, app schemes, and ``TOLLAMA_ORIGINS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tollama.core.errors import PermissionDenied, TollamaError, UnsupportedMediaType
from tollama.daemon.errors import error_response

Scope = dict[str, Any]
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def is_json_type(value: bytes) -> bool:
    """``application/json`` or ``application/<anything>+json``, parameters (charset) aside."""
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class JsonBodyMiddleware:
    """Refuse foreign origins and non-JSON bodies on state-changing routes (before the body is read)."""

    def __init__(self, app: Any, origin_allowed: Callable[[str], bool]) -> None:
        self.app = app
        self.origin_allowed = origin_allowed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in _BODY_METHODS:
            refusal = self._refusal(scope)
            if refusal is not None:
                await error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> TollamaError | None:
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        if origin is not None and not self.origin_allowed(origin.decode("latin-1")):
            return PermissionDenied(
                "requests from this web page's origin are refused; allow an origin with TOLLAMA_ORIGINS "
                "(see docs/security.md)"
            )
        length = headers.get(b"content-length")
        has_body = b"transfer-encoding" in headers or (length is not None and length.strip() not in (b"", b"0"))
        if has_body and not is_json_type(headers.get(b"content-type", b"")):
            return UnsupportedMediaType(
                "request body must be JSON sent with Content-Type: application/json "
                "(curl: -H 'Content-Type: application/json' or --json)"
            )
        return None
