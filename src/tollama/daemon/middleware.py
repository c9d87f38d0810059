"""ASGI middleware: bodies are JSON whatever their Content-Type says.

Ollama parses every body as JSON, and users paste ``curl -d '{...}'`` (which sends
``application/x-www-form-urlencoded``); FastAPI would refuse those bodies otherwise.
"""

from __future__ import annotations

from typing import Any

Scope = dict[str, Any]
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class JsonBodyMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in _BODY_METHODS:
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            scope["headers"] = headers  # in place: outer layers read what routing adds to the scope
        await self.app(scope, receive, send)
