"""The MCP server through the SDK's own client: stdio (``tollama mcp``) and HTTP (``/mcp``)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import numpy as np
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tollama.core.derived_create import CreateRequest
from tollama.core.evaluation import EvaluateRequest
from tollama.core.schemas import ForecastRequest
from tollama.testing.daemon import DaemonProcess, free_port, run_cli, stop_autostarted_daemon

TOLLAMA = str(Path(sys.executable).parent / "tollama")
SERIES = [
    {"id": "up", "freq": "D", "timestamps": [f"2025-01-{d:02d}" for d in range(1, 15)], "target": list(range(1, 15))},
    {"id": "flat", "target": [5.0] * 14},
]
EXPECTED_TOOLS = {"list_models", "show_model", "forecast", "evaluate", "create_model", "pull_model"}


def stdio_params(daemon: DaemonProcess, **env: str) -> StdioServerParameters:
    return StdioServerParameters(command=TOLLAMA, args=["mcp"], env={**daemon.cli_env(), **env})


def run_session(server: Any, body: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with Client(server, read_timeout_seconds=120) as client:
            return await body(client)

    return anyio.run(main)


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


@pytest.fixture
def stats_daemon(daemon: DaemonProcess) -> DaemonProcess:
    for model in ("mock", "seasonal-naive"):
        assert run_cli("pull", model, env=daemon.cli_env()).returncode == 0
    return daemon


def test_stdio_lists_tools_with_contract_schemas(stats_daemon):
    tools = run_session(stdio_params(stats_daemon), lambda c: c.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) >= EXPECTED_TOOLS
    assert by_name["forecast"].input_schema == ForecastRequest.model_json_schema()
    assert {"series", "horizon"} <= set(by_name["forecast"].input_schema["required"])
    assert by_name["evaluate"].input_schema == EvaluateRequest.model_json_schema()
    assert by_name["create_model"].input_schema == CreateRequest.model_json_schema()
    assert by_name["show_model"].input_schema["required"] == ["model"]
    assert all(tool.description and len(tool.description) > 60 for tool in tools)
    assert by_name["pull_model"].annotations.read_only_hint is False


def test_stdio_calls_each_tool_against_a_real_daemon(stats_daemon):
    request = {"model": "seasonal-naive", "horizon": 3, "quantiles": [0.1, 0.9], "series": SERIES}

    async def calls(client: Client) -> dict[str, Any]:
        return {
            "list": await client.call_tool("list_models", {}),
            "show": await client.call_tool("show_model", {"model": "seasonal-naive"}),
            "forecast": await client.call_tool("forecast", request),
        }

    results = run_session(stdio_params(stats_daemon), calls)
    listed = results["list"].structured_content
    assert {"mock", "seasonal-naive"} <= {m["name"] for m in listed["installed"]}
    assert "auto-ets" in {m["name"] for m in listed["available"]}
    assert "installed (2)" in text_of(results["list"])
    assert results["show"].structured_content["family"] == "stats"
    answer = results["forecast"].structured_content
    direct = httpx.post(stats_daemon.base_url + "/api/forecast", json={**request, "stream": False}, timeout=120).json()
    assert [f["mean"] for f in answer["forecasts"]] == [f["mean"] for f in direct["forecasts"]]
    text = text_of(results["forecast"])
    assert "2 series forecast 3 steps ahead" in text
    assert "- up: last value 14" in text and "0.1-0.9 interval width" in text
    assert not results["forecast"].is_error


def test_tool_errors_are_one_line_and_the_server_survives(stats_daemon):
    async def calls(client: Client) -> list[Any]:
        return [
            await client.call_tool("show_model", {"model": "no-such-model"}),
            await client.call_tool("forecast", {"model": "mock", "horizon": 2, "series": [{"id": "a", "target": []}]}),
            await client.call_tool("forecast", {"model": "mock", "horizon": 0, "series": SERIES}),
            await client.call_tool("pull_model", {"model": "auto-ets"}),
            await client.call_tool("no_such_tool", {}),
            await client.call_tool("show_model", {"model": "mock"}),  # still serving
        ]

    unknown, empty, zero, pull, bogus, after = run_session(stdio_params(stats_daemon), calls)
    for result in (unknown, empty, zero, pull, bogus):
        assert result.is_error and "\n" not in text_of(result) and "Traceback" not in text_of(result)
    assert "no-such-model" in text_of(unknown)
    assert "series" in text_of(empty) or "target" in text_of(empty)
    assert "horizon" in text_of(zero)
    assert "tollama config set mcp.allow_pull true" in text_of(pull)
    assert "no_such_tool" in text_of(bogus)
    assert not after.is_error and after.structured_content["name"] == "mock"


def test_pull_allowed_by_config(stats_daemon):
    env = stats_daemon.cli_env()
    assert run_cli("config", "set", "mcp.allow_pull", "true", env=env).returncode == 0
    result = run_session(stdio_params(stats_daemon), lambda c: c.call_tool("pull_model", {"model": "auto-ets"}))
    assert not result.is_error, text_of(result)
    assert "auto-ets" in run_cli("list", env=env).stdout


def test_large_forecasts_are_bounded(stats_daemon):
    series = [{"id": f"s{i}", "target": [float(i), float(i + 1), float(i + 2)]} for i in range(150)]
    result = run_session(
        stdio_params(stats_daemon),
        lambda c: c.call_tool("forecast", {"model": "mock", "horizon": 2, "series": series}),
    )
    answer = result.structured_content
    assert len(answer["forecasts"]) == 100 and answer["truncated"] == {"series_total": 150, "series_returned": 100}
    assert "tollama batch" in text_of(result) and "... and 130 more series" in text_of(result)


def test_http_endpoint_serves_the_same_tools(stats_daemon):
    async def calls(client: Client) -> tuple[Any, Any]:
        return await client.list_tools(), await client.call_tool("show_model", {"model": "mock"})

    tools, shown = run_session(stats_daemon.base_url + "/mcp", calls)
    assert {tool.name for tool in tools.tools} >= EXPECTED_TOOLS
    assert shown.structured_content["name"] == "mock"


def test_http_endpoint_needs_the_api_key(tollama_home):
    key = "mcp-test-key-0123456789"
    with DaemonProcess(tollama_home, env={"TOLLAMA_API_KEYS": key}) as daemon:
        refused = httpx.post(
            daemon.base_url + "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"accept": "application/json, text/event-stream"},
        )
        assert refused.status_code == 401 and "API key" in refused.json()["error"]

        async def with_key() -> Any:
            http = httpx2.AsyncClient(headers={"authorization": f"Bearer {key}"}, timeout=60)
            async with (
                http,
                Client(streamable_http_client(daemon.base_url + "/mcp", http_client=http)) as client,
            ):
                return await client.call_tool("list_models", {})

        listed = anyio.run(with_key)
        assert not listed.is_error, text_of(listed)
        assert json.dumps(listed.structured_content)


@pytest.mark.slow
def test_stdio_server_autostarts_a_loopback_daemon(tmp_path: Path):
    home = tmp_path / "clean-home"
    port = free_port()
    env = {
        "TOLLAMA_HOME": str(home),
        "TOLLAMA_HOST": f"127.0.0.1:{port}",
        "TOLLAMA_BASE_URL": f"http://127.0.0.1:{port}",
        "TOLLAMA_NO_AUTOSTART": "0",
        "TOLLAMA_API_KEYS": "",
        "TOLLAMA_API_KEY": "",
        "PATH": os.environ.get("PATH", ""),
    }
    try:
        result = run_session(
            StdioServerParameters(command=TOLLAMA, args=["mcp"], env=env), lambda c: c.call_tool("list_models", {})
        )
        assert not result.is_error, text_of(result)
        assert result.structured_content["installed"] == []
        assert httpx.get(f"http://127.0.0.1:{port}/api/version", trust_env=False).status_code == 200
    finally:
        stop_autostarted_daemon(home)


def test_evaluate_and_create_model_tools(stats_daemon):
    days = [str(d) for d in np.datetime64("2025-01-01") + np.arange(60)]
    series = [{"id": "w", "freq": "D", "timestamps": days, "target": [float(i % 7) + 0.05 * i for i in range(60)]}]
    evaluate = {"models": ["mock", "seasonal-naive"], "horizon": 7, "windows": 2, "metrics": ["mase", "mae"],
                "series": series, "seasonality": 7}  # fmt: skip

    async def calls(client: Client) -> list[Any]:
        return [
            await client.call_tool("evaluate", evaluate),
            await client.call_tool(
                "create_model", {"model": "duo", "ensemble": {"members": ["mock", "seasonal-naive"]}}
            ),
            await client.call_tool("forecast", {"model": "duo", "horizon": 3, "series": series}),
            await client.call_tool("create_model", {"model": "bad", "ensemble": {"members": ["no-such-model"]}}),
        ]

    ranked, created, used, missing = run_session(stdio_params(stats_daemon), calls)
    assert not ranked.is_error, text_of(ranked)
    board = ranked.structured_content["leaderboard"]
    assert board[0]["model"] == "seasonal-naive"  # a pure weekly pattern
    assert text_of(ranked).splitlines()[0].split()[:3] == ["rank", "model", "mase"]
    assert not created.is_error and created.structured_content["model"] == "duo"
    assert not used.is_error and len(used.structured_content["forecasts"][0]["mean"]) == 3
    assert missing.is_error and "no-such-model" in text_of(missing)
