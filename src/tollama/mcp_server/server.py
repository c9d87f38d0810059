"""One MCP server (the SDK's low-level ``Server``) for both transports.

``tollama mcp`` runs it over stdio against the daemon at the CLI's base URL; the daemon mounts it
at ``/mcp`` over streamable HTTP, where each call reaches the daemon's own routes in-process
with the caller's credentials (so the API key, Host and Origin checks apply once, at the door).

Every failure becomes a tool error (``isError``) whose text is the one-line message of our
error tree; a bad call never takes the server down.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from pydantic import ValidationError

from tollama import __version__
from tollama.client import AsyncClient
from tollama.core.errors import DaemonUnreachable, TollamaError
from tollama.mcp_server.tools import TOOLS, ToolContext, ToolSpec

INSTRUCTIONS = (
    "tollama forecasts time series with local models. Call list_models to see what is installed, "
    "forecast to predict future values (with intervals), evaluate to backtest models on the user's data "
    "and pick the best one, and show_model for a model's capabilities."
)

# (request context) -> a client for this call; closed by the caller when ``owned`` is True.
ClientFactory = Callable[[Any], Awaitable[tuple[AsyncClient, bool]]]
# Called once when the daemon cannot be reached; True when it started one (retry the call).
Autostart = Callable[[AsyncClient], Awaitable[bool]]


def tool_definition(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.arguments.model_json_schema(),
        annotations=types.ToolAnnotations(
            title=spec.title, read_only_hint=spec.read_only, destructive_hint=False, open_world_hint=False
        ),
    )


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def validation_message(tool: str, exc: ValidationError) -> str:
    """pydantic's first error as one line naming the field (values stay out: they are the caller's data)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"invalid arguments for {tool}: {where + ': ' if where else ''}{first['msg']}"


def build_server(
    clients: ClientFactory,
    allow_pull: Callable[[], bool],
    autostart: Autostart | None = None,
    tools: tuple[ToolSpec, ...] = TOOLS,
) -> Server[Any]:
    """The server with ``tools``; each call gets a client from ``clients``."""
    by_name = {spec.name: spec for spec in tools}

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool_definition(spec) for spec in tools])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = by_name.get(params.name)
        if spec is None:
            return error_result(f"unknown tool '{params.name}'; tools: {', '.join(by_name)}")
        try:
            arguments = spec.arguments.model_validate(params.arguments or {})
        except ValidationError as exc:
            return error_result(validation_message(spec.name, exc))
        client, owned = await clients(ctx)
        try:
            text, structured = await _run(spec, ToolContext(client, allow_pull), arguments, autostart)
        except TollamaError as exc:
            return error_result(exc.message)
        except ValidationError as exc:
            return error_result(validation_message(spec.name, exc))
        except Exception as exc:  # the server outlives any one call
            return error_result(f"{spec.name} failed unexpectedly: {type(exc).__name__}: {exc}".splitlines()[0])
        finally:
            if owned:
                await client.aclose()
        return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=structured)

    return Server(
        "tollama", version=__version__, instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call_tool
    )


async def _run(spec: ToolSpec, context: ToolContext, arguments: Any, autostart: Autostart | None) -> Any:
    try:
        return await spec.handler(context, arguments)
    except DaemonUnreachable:
        if autostart is None or not await autostart(context.client):
            raise
        return await spec.handler(context, arguments)
