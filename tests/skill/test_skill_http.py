"""The curl transport against a fake daemon: endpoint order, the status table, headers.

The fake answers 404 on ``/api/forecast`` the way a daemon without that route does, so the
``/v1/forecast`` fallback is exercised; the real daemon always has both routes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import SERIES_REQUEST, FakeDaemon, Skill

FORECAST = {"model": "mock", "done": True, "forecasts": [{"id": "s", "mean": [3.0, 3.0]}]}


def forecast(skill: Skill, fake: FakeDaemon, request: dict[str, Any], *args: str, **kwargs: Any) -> Any:
    return skill.run("forecast", "--base-url", fake.base_url, *args, input_text=json.dumps(request), **kwargs)


def test_v1_forecast_only_after_a_404(curl_skill: Skill, fake_daemon: FakeDaemon) -> None:
    fake_daemon.routes["POST /v1/forecast"] = (200, FORECAST)
    request = {**SERIES_REQUEST, "model": "chronos2", "stream": True}
    result = forecast(curl_skill, fake_daemon, request, "--model", "mock")
    assert result.code == 0, result.stderr
    assert result.json() == FORECAST
    assert [r["route"] for r in fake_daemon.requests] == ["POST /api/forecast", "POST /v1/forecast"]
    for sent in fake_daemon.requests:
        assert sent["body"]["model"] == "mock"  # --model overrides the request's model
        assert sent["body"]["stream"] is False  # never streams
        assert sent["body"]["series"] == SERIES_REQUEST["series"]


def test_api_forecast_answer_is_used_as_is(curl_skill: Skill, fake_daemon: FakeDaemon) -> None:
    fake_daemon.routes["POST /api/forecast"] = (200, FORECAST)
    result = forecast(curl_skill, fake_daemon, SERIES_REQUEST)
    assert result.json() == FORECAST
    assert [r["route"] for r in fake_daemon.requests] == ["POST /api/forecast"]
    assert "model" not in fake_daemon.requests[0]["body"]  # the daemon's default model serves


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 2), (413, 2), (422, 2), (401, 5), (403, 5), (409, 5), (500, 10), (503, 10), (504, 6)],
)
def test_status_table_without_fallback(curl_skill: Skill, fake_daemon: FakeDaemon, status: int, code: int) -> None:
    fake_daemon.routes["POST /api/forecast"] = (status, {"error": f'canned {status}: "quoted" thing'})
    fake_daemon.routes["POST /v1/forecast"] = (200, FORECAST)
    result = forecast(curl_skill, fake_daemon, SERIES_REQUEST)
    assert result.code == code
    assert result.stdout == ""
    assert f'Error: canned {status}: "quoted" thing' in result.stderr
    assert [r["route"] for r in fake_daemon.requests] == ["POST /api/forecast"]


def test_404_on_both_routes_is_model_not_installed(curl_skill: Skill, fake_daemon: FakeDaemon) -> None:
    missing = (404, {"error": "model 'mock' is not installed; run `tollama pull mock`"})
    fake_daemon.routes["POST /api/forecast"] = missing
    fake_daemon.routes["POST /v1/forecast"] = missing
    result = forecast(curl_skill, fake_daemon, SERIES_REQUEST)
    assert (result.code, result.stdout) == (4, "")
    assert "tollama pull mock" in result.stderr


def test_api_key_is_sent_as_bearer_token(curl_skill: Skill, fake_daemon: FakeDaemon) -> None:
    fake_daemon.routes["GET /api/tags"] = (200, {"models": []})
    with_key = curl_skill.run("models", "installed", "--base-url", fake_daemon.base_url, env={"TOLLAMA_API_KEY": "k1"})
    without_key = curl_skill.run("models", "installed", "--base-url", fake_daemon.base_url)
    assert with_key.json() == without_key.json() == {"models": []}
    assert [r["authorization"] for r in fake_daemon.requests] == ["Bearer k1", None]


def test_models_routes(curl_skill: Skill, fake_daemon: FakeDaemon) -> None:
    info = {"version": "9.9.9", "models": {"available": [{"name": "mock"}]}}
    fake_daemon.routes.update(
        {
            "GET /v1/health": (200, {"status": "ok", "version": "9.9.9"}),
            "GET /api/info": (200, info),
            "POST /api/pull": (200, {"status": "success", "done": True}),
            "DELETE /api/delete": (200, {}),
        }
    )
    base = ("--base-url", fake_daemon.base_url)
    assert curl_skill.run("health", *base).json()["version"] == "9.9.9"
    assert curl_skill.run("models", "available", *base).json() == info
    assert curl_skill.run("models", "pull", "moirai-2.0-R-small", "--accept-license", *base).code == 0
    assert curl_skill.run("models", "rm", "mock", *base).json() == {"deleted": "mock"}
    sent = {r["route"]: r["body"] for r in fake_daemon.requests}
    assert sent["POST /api/pull"] == {"model": "moirai-2.0-R-small", "stream": False, "accept_license": True}
    assert sent["DELETE /api/delete"] == {"model": "mock"}


def test_health_failure_status(curl_skill: Skill, fake_daemon: FakeDaemon) -> None:
    fake_daemon.routes["GET /v1/health"] = (401, {"error": "missing API key; set TOLLAMA_API_KEY"})
    result = curl_skill.run("health", "--base-url", fake_daemon.base_url)
    assert (result.code, result.stdout) == (5, "")
    assert "TOLLAMA_API_KEY" in result.stderr
