"""``tollama mcp``: the MCP tools over stdio, for agents that launch their tools as processes.

The server talks to the daemon at the CLI's base URL with the CLI's API key, and starts a local
daemon on first use under the same rules as ``tollama run`` (loopback only, not with
``TOLLAMA_NO_AUTOSTART``). stdout carries the protocol alone; logs go to stderr.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.stdio import stdio_server

from tollama.cli.autostart import autostart_disabled, is_loopback_url, start_daemon
from tollama.client import AsyncClient, Client
from tollama.core.config import Paths, load_config
from tollama.mcp_server.server import build_server


def allow_pull() -> bool:
    """Read at every call, so `tollama config set mcp.allow_pull true` applies at once."""
    return bool(load_config(Paths.from_env().config_file).mcp.allow_pull)


def serve_stdio(base_url: str | None, timeout: float | None) -> None:
    client = AsyncClient(base_url=base_url, timeout=timeout)

    async def clients(_: Any) -> tuple[AsyncClient, bool]:
        return client, False

    async def autostart(current: AsyncClient) -> bool:
        if autostart_disabled() or not is_loopback_url(current.base_url):
            return False
        with Client(base_url=current.base_url, timeout=timeout) as sync_client:
            await anyio.to_thread.run_sync(start_daemon, sync_client)
        return True

    server = build_server(clients, allow_pull, autostart)

    async def main() -> None:
        try:
            async with stdio_server() as (read_stream, write_stream):
                await server.run(read_stream, write_stream, server.create_initialization_options())
        finally:
            await client.aclose()

    anyio.run(main)
