"""``/mcp``: the MCP tools over streamable HTTP, inside the daemon.

The endpoint sits behind the daemon's own middleware (Host, API key, Origin, body limits), and
each tool call reaches the daemon's routes in-process through ``httpx.ASGITransport`` carrying
the caller's ``Authorization`` header: one implementation of every verb, checked the same way
whether a person, the CLI or an agent calls it. Stateless JSON answers: no session to leak.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from tollama.client import AsyncClient
from tollama.core.config import load_config
from tollama.core.errors import RunnerUnavailable
from tollama.daemon.errors import error_response
from tollama.daemon.settings import DaemonSettings
from tollama.mcp_server.server import build_server

MCP_PATH = "/mcp"
# Host the in-process calls name: a loopback one, which the Host check accepts.
_INTERNAL_BASE_URL = "http://127.0.0.1"


class McpEndpoint:
    """The ``/mcp`` route; its session manager lives as long as the daemon's lifespan."""

    def __init__(self, app: FastAPI, settings: DaemonSettings) -> None:
        self._app = app
        self._settings = settings
        self._server = build_server(self._client_for, self._allow_pull)
        self._manager: StreamableHTTPSessionManager | None = None
        app.add_route(MCP_PATH, self, methods=["GET", "POST", "DELETE"], include_in_schema=False)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # A session manager runs once; each lifespan (a test may start the app twice) gets its own.
        manager = StreamableHTTPSessionManager(app=self._server, json_response=True, stateless=True)
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._manager is None:
            await error_response(
                RunnerUnavailable("the MCP endpoint is not running; the daemon is starting or stopping")
            )(scope, receive, send)
            return
        await self._manager.handle_request(scope, receive, send)

    def _allow_pull(self) -> bool:
        return bool(load_config(self._settings.paths.config_file).mcp.allow_pull)

    async def _client_for(self, ctx: Any) -> tuple[AsyncClient, bool]:
        request = getattr(ctx, "request", None)
        headers = {}
        authorization = request.headers.get("authorization") if request is not None else None
        if authorization:
            headers["authorization"] = authorization
        transport = httpx.ASGITransport(app=self._app)
        client = AsyncClient(base_url=_INTERNAL_BASE_URL, headers=headers, transport=transport)
        return client, True
