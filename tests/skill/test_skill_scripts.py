"""The skill's scripts against a real daemon, through the tollama CLI and through curl alone.

Every exit code of contract v2 comes from a real condition: bad JSON (2), no daemon (3), a model
not pulled (4), a license not accepted (5), a runner slower than the timeout (6), a runner crash (10).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from tollama import __version__
from tollama.testing.daemon import DaemonProcess, free_port

from .conftest import EXAMPLES, SERIES_REQUEST, Skill, SkillResult

pytestmark = pytest.mark.slow


def forecast(skill: Skill, daemon: DaemonProcess, request: dict[str, Any], *args: str, **kwargs: Any) -> SkillResult:
    return skill.run("forecast", "--base-url", daemon.base_url, *args, input_text=json.dumps(request), **kwargs)


def slow_request(seconds: float) -> dict[str, Any]:
    return {**SERIES_REQUEST, "model": "mock", "options": {"delay_seconds": seconds}}


def installed_names(skill: Skill, daemon: DaemonProcess) -> list[str]:
    result = skill.run("models", "installed", "--base-url", daemon.base_url)
    assert result.code == 0, result.stderr
    return [m["name"] for m in result.json()["models"]]


def assert_fails(result: SkillResult, code: int, context: str = "") -> None:
    """A failure: the contract's code, nothing on stdout, a diagnostic on stderr."""
    assert result.code == code, f"{context}: exit {result.code}, stderr: {result.stderr}"
    assert result.stdout == "", context
    assert "Error" in result.stderr, context


def test_lifecycle_and_example_forecasts(skill: Skill, daemon: DaemonProcess) -> None:
    base = ("--base-url", daemon.base_url)
    health = skill.run("health", *base)
    assert health.code == 0, health.stderr
    assert health.json() == {
        "status": "ok",
        "base_url": daemon.base_url,
        "version": __version__,
        "transport": skill.transport,
    }
    assert skill.run("models", "pull", "mock", *base).json()["status"] == "success"
    assert installed_names(skill, daemon) == ["mock"]
    shown = skill.run("models", "show", "mock", *base).json()
    assert (shown["name"], shown["family"]) == ("mock", "mock")

    for example in ("simple_forecast", "covariates_forecast", "metrics_forecast"):
        path = EXAMPLES / f"{example}.json"
        request = json.loads(path.read_text())
        assert request["model"] == "chronos2"  # not installed: --model must win
        result = skill.run("forecast", "--model", "mock", "--input", str(path), *base)
        assert result.code == 0, f"{example}: {result.stderr}"
        response = result.json()
        assert response["model"] == "mock"
        series = response["forecasts"][0]
        assert series["id"] == request["series"][0]["id"]
        assert len(series["mean"]) == request["horizon"]
        assert set(series["quantiles"]) == {"0.1", "0.5", "0.9"}
        if example == "covariates_forecast":
            assert any("promo" in warning for warning in response["warnings"])
        if example == "metrics_forecast":
            names = request["parameters"]["metrics"]["names"]
            assert set(response["metrics"]["aggregate"]) == set(names)

    loaded = skill.run("models", "loaded", *base).json()
    assert [m["name"] for m in loaded["models"]] == ["mock"]
    available = {m["name"]: m for m in skill.run("models", "available", *base).json()["models"]["available"]}
    assert available["mock"]["needs_acceptance"] is False
    assert available["moirai-2.0-R-small"]["needs_acceptance"] is True
    assert skill.run("models", "rm", "mock", *base).json() == {"deleted": "mock"}
    assert installed_names(skill, daemon) == []


def test_request_from_stdin_and_model_from_request(skill: Skill, daemon: DaemonProcess, http: httpx.Client) -> None:
    http.post("/api/pull", json={"model": "mock", "stream": False}).raise_for_status()
    result = forecast(skill, daemon, {**SERIES_REQUEST, "model": "mock"})
    assert result.code == 0, result.stderr
    assert result.json()["forecasts"][0]["mean"] == [3.0, 3.0]


def test_exit_2_invalid_input(skill: Skill, daemon: DaemonProcess, http: httpx.Client, tmp_path: Path) -> None:
    http.post("/api/pull", json={"model": "mock", "stream": False}).raise_for_status()
    base = ("--base-url", daemon.base_url)
    bad_requests = {
        "truncated JSON": '{"horizon": }',
        "not an object": "[1, 2]",
        "empty": "   \n",
        "horizon 0": json.dumps({**SERIES_REQUEST, "horizon": 0}),
        "no series": json.dumps({"horizon": 2}),
    }
    for label, text in bad_requests.items():
        assert_fails(skill.run("forecast", "--model", "mock", *base, input_text=text), 2, label)
    bad_calls: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
        "missing input file": (("forecast", "--input", str(tmp_path / "nope.json")), {}),
        "timeout not a number": (("forecast", "--timeout", "soon"), {}),
        "timeout zero": (("health", "--timeout", "0"), {}),
        "timeout env not a number": (("health",), {"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "soon"}),
        "model name not a name": (("forecast", "--model", "../etc/passwd"), {}),
        "unknown option": (("forecast", "--stream"), {}),
        "unknown models verb": (("models", "frobnicate"), {}),
        "show without a name": (("models", "show"), {}),
        "accept-license outside pull": (("models", "installed", "--accept-license"), {}),
    }
    for label, ((script, *args), env) in bad_calls.items():
        result = skill.run(script, *args, *base, input_text=json.dumps(SERIES_REQUEST), env=env)
        assert_fails(result, 2, label)


def test_exit_3_daemon_unreachable(skill: Skill) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    calls = {
        "health": ("health", "--base-url", dead),
        "installed": ("models", "installed", "--base-url", dead),
        "available is daemon-only": ("models", "available", "--base-url", dead),
        "forecast": ("forecast", "--model", "mock", "--base-url", dead),
    }
    for label, (script, *args) in calls.items():
        assert_fails(skill.run(script, *args, input_text=json.dumps(SERIES_REQUEST)), 3, label)
    from_env = skill.run("health", env={"TOLLAMA_BASE_URL": dead})
    assert_fails(from_env, 3, "TOLLAMA_BASE_URL")
    assert dead in from_env.stderr


def test_cli_transport_never_starts_a_daemon(tmp_path: Path, tollama_home: Path) -> None:
    """Without TOLLAMA_NO_AUTOSTART in its environment, `tollama run` would start one; the skill must not."""
    from .conftest import transport_path

    skill = Skill("tollama", transport_path("tollama", tmp_path / "path"), tollama_home)
    port = free_port()
    result = skill.run(
        "forecast", "--model", "mock", "--base-url", f"http://127.0.0.1:{port}", input_text=json.dumps(SERIES_REQUEST)
    )
    assert_fails(result, 3)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "a daemon was started"


def test_exit_4_model_not_installed_and_no_auto_pull(skill: Skill, daemon: DaemonProcess) -> None:
    base = ("--base-url", daemon.base_url)
    assert_fails(forecast(skill, daemon, SERIES_REQUEST, "--model", "mock"), 4, "forecast mock")
    assert installed_names(skill, daemon) == [], "the forecast pulled a model without --pull"
    request_names_it = skill.run("forecast", "--input", str(EXAMPLES / "simple_forecast.json"), *base)
    assert_fails(request_names_it, 4, "the request's model")
    assert "chronos2" in request_names_it.stderr
    assert_fails(forecast(skill, daemon, SERIES_REQUEST, "--model", "no-such-model"), 4, "unknown model")
    assert_fails(skill.run("models", "show", "mock", *base), 4, "show")
    assert_fails(skill.run("models", "rm", "mock", *base), 4, "rm")


def test_pull_flag_installs_the_missing_model(skill: Skill, daemon: DaemonProcess) -> None:
    result = forecast(skill, daemon, {**SERIES_REQUEST, "model": "mock"}, "--pull")
    assert result.code == 0, result.stderr
    assert result.json()["model"] == "mock"
    assert installed_names(skill, daemon) == ["mock"]
    assert forecast(skill, daemon, SERIES_REQUEST, "--pull").code == 2  # no model named anywhere


def test_exit_5_license_not_accepted(skill: Skill, daemon: DaemonProcess) -> None:
    base = ("--base-url", daemon.base_url)
    pulled = skill.run("models", "pull", "moirai-2.0-R-small", *base)
    assert_fails(pulled, 5, "pull")
    assert "--accept-license" in pulled.stderr
    assert_fails(forecast(skill, daemon, SERIES_REQUEST, "--model", "moirai-2.0-R-small"), 4, "forecast")
    assert_fails(forecast(skill, daemon, SERIES_REQUEST, "--model", "moirai-2.0-R-small", "--pull"), 5, "--pull")
    assert installed_names(skill, daemon) == []


def test_exit_6_runner_slower_than_timeout(skill: Skill, daemon: DaemonProcess, http: httpx.Client) -> None:
    http.post("/api/pull", json={"model": "mock", "stream": False}).raise_for_status()
    assert_fails(forecast(skill, daemon, slow_request(3), "--timeout", "1"), 6, "--timeout")
    from_env = forecast(skill, daemon, slow_request(3), env={"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "1"})
    assert_fails(from_env, 6, "TOLLAMA_FORECAST_TIMEOUT_SECONDS")
    flag_wins = forecast(
        skill, daemon, slow_request(1), "--timeout", "60", env={"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "1"}
    )
    assert flag_wins.code == 0, flag_wins.stderr


def test_exit_6_daemon_timeout(skill: Skill, tollama_home: Path) -> None:
    """The daemon's own runner timeout answers 504, which is a timeout too."""
    with DaemonProcess(tollama_home, env={"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "1"}) as slow_daemon:
        httpx.post(f"{slow_daemon.base_url}/api/pull", json={"model": "mock", "stream": False}).raise_for_status()
        result = forecast(skill, slow_daemon, slow_request(3), "--timeout", "60")
    assert_fails(result, 6)


def test_exit_10_runner_crash(skill: Skill, daemon: DaemonProcess, http: httpx.Client) -> None:
    http.post("/api/pull", json={"model": "mock", "stream": False}).raise_for_status()
    crash = {**SERIES_REQUEST, "model": "mock", "options": {"exit_code": 3}}
    assert_fails(forecast(skill, daemon, crash), 10)


def test_base_url_precedence(skill: Skill, daemon: DaemonProcess) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    flag_wins = skill.run("health", "--base-url", daemon.base_url, env={"TOLLAMA_BASE_URL": dead})
    assert flag_wins.json()["base_url"] == daemon.base_url
    from_env = skill.run("health", env={"TOLLAMA_BASE_URL": daemon.base_url.removeprefix("http://")})
    assert from_env.json()["base_url"] == daemon.base_url
    default = skill.run("health")
    assert "http://127.0.0.1:11435" in default.stdout + default.stderr
