"""A new user's walk through the README against a real daemon: HTTP and the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from tollama.testing.daemon import run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "request.json"


def test_version_and_health(http):
    assert http.get("/api/version").json() == {"version": "0.1.0"}
    assert http.get("/v1/health").json() == {"status": "ok", "version": "0.1.0"}
    assert "/api/forecast" in http.get("/openapi.json").json()["paths"]


def test_pull_streams_ollama_shaped_progress_then_success(http):
    # curl -d sends a form content type, which a web page could send too: refused (issue 15, point 3).
    form = http.post(
        "/api/pull", content=b'{"name": "mock"}', headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415 and "Content-Type: application/json" in form.json()["error"]
    response = http.post("/api/pull", content=b'{"name": "mock"}', headers={"Content-Type": "application/json"})
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in response.text.splitlines()]
    assert [line["status"] for line in lines] == ["pulling manifest", "verifying", "writing manifest", "success"]
    assert lines[-1]["done"] is True and all(not line["done"] for line in lines[:-1])
    assert http.post("/api/pull", json={"model": "mock", "stream": False}).json() == {"status": "success", "done": True}


def test_cli_lifecycle_reproduces_the_spec_example(daemon):
    env = daemon.cli_env()
    assert run_cli("pull", "mock", env=env).returncode == 0
    listed = run_cli("list", env=env)
    assert listed.returncode == 0 and "mock" in listed.stdout and "NAME" in listed.stdout
    shown = json.loads(run_cli("show", "mock", "--json", env=env).stdout)
    assert shown["name"] == "mock" and shown["family"] == "mock" and shown["pulled_at"]
    ran = run_cli("run", "mock", "--input", str(EXAMPLE), "--no-stream", "--json", env=env)
    assert ran.returncode == 0, ran.stderr
    response = json.loads(ran.stdout)
    assert response["forecasts"][0]["mean"] == [3.0, 3.0]
    assert response["forecasts"][0]["start_timestamp"] == "2025-01-03"
    assert response["metrics"] == {
        "aggregate": {"mape": 37.5, "mase": 0.5},
        "series": [{"id": "s1", "values": {"mape": 37.5, "mase": 0.5}}],
    }
    table = run_cli("run", "mock", "--input", str(EXAMPLE), env=env)
    assert table.returncode == 0 and "2025-01-04" in table.stdout and "37.5" in table.stdout
    ps = json.loads(run_cli("ps", "--json", env=env).stdout)
    assert [m["name"] for m in ps["models"]] == ["mock"] and ps["models"][0]["pid"] > 0
    assert run_cli("rm", "mock", env=env).returncode == 0
    assert json.loads(run_cli("ps", "--json", env=env).stdout) == {"models": []}
    missing = run_cli("show", "mock", env=env)
    assert missing.returncode == 4 and "not installed" in missing.stderr


def test_run_reads_stdin_and_applies_overrides(daemon):
    env = daemon.cli_env()
    run_cli("pull", "mock", env=env)
    request = {"model": "mock", "horizon": 1, "series": [{"id": "a", "target": [1.0, 2.0]}]}
    ran = run_cli(
        "run",
        "--horizon",
        "3",
        "--quantiles",
        "0.9,0.1",
        "--json",
        "--no-stream",
        env=env,
        input_text=json.dumps(request),
    )
    assert ran.returncode == 0, ran.stderr
    forecast = json.loads(ran.stdout)["forecasts"][0]
    assert forecast["mean"] == [2.0, 2.0, 2.0] and list(forecast["quantiles"]) == ["0.1", "0.9"]


def test_streaming_forecast_sends_status_lines_then_the_result(http):
    http.post("/api/pull", json={"model": "mock", "stream": False})
    body = {"model": "mock", "horizon": 2, "series": [{"id": "s", "target": [5.0]}]}
    response = http.post("/api/forecast", json=body)
    lines = [orjson.loads(line) for line in response.text.splitlines()]
    assert [line.get("status") for line in lines[:-1]] == ["loading model mock", "forecasting"]
    assert lines[-1]["done"] is True and lines[-1]["forecasts"][0]["mean"] == [5.0, 5.0]
    assert lines[-1]["total_duration"] > 0 and "load_duration" in lines[-1]
    v1 = http.post("/v1/forecast", json={**body, "stream": True})
    assert v1.headers["content-type"] == "application/json" and v1.json()["forecasts"][0]["mean"] == [5.0, 5.0]


def test_lifecycle_errors_have_status_and_one_message(http):
    assert http.post("/api/show", json={"model": "mock"}).json() == {
        "error": "model 'mock' is not installed; run `tollama pull mock`"
    }
    assert http.post("/api/show", json={"model": "mock"}).status_code == 404
    assert http.request("DELETE", "/api/delete", json={"model": "mock"}).status_code == 404
    unknown = http.post("/api/pull", json={"model": "nope"})
    assert unknown.status_code == 404 and "not in the registry" in unknown.json()["error"]
    traversal = http.post("/api/show", json={"model": "../config"})
    assert traversal.status_code == 400 and "no paths" in traversal.json()["error"]
    license_gate = http.post("/api/pull", json={"model": "moirai-2.0-R-small"})
    assert license_gate.status_code == 409 and "--accept-license" in license_gate.json()["error"]
    not_installed = http.post(
        "/api/forecast", json={"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1.0]}]}
    )
    assert not_installed.status_code == 404  # an error before the first line keeps its real status


def test_cli_errors_exit_with_the_contract_codes(daemon, tmp_path):
    env = daemon.cli_env()
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    assert run_cli("run", "mock", "--input", str(bad), env=env).returncode == 2
    assert run_cli("run", "mock", "--input", str(tmp_path / "missing.json"), env=env).returncode == 2
    assert run_cli("pull", "moirai-2.0-R-small", env=env).returncode == 5
    not_pulled = run_cli("run", "mock", "--input", str(EXAMPLE), "--no-pull", env=env)
    assert not_pulled.returncode == 4 and "tollama pull mock" in not_pulled.stderr
    down = run_cli("list", env={**env, "TOLLAMA_BASE_URL": "http://127.0.0.1:9"})
    assert down.returncode == 3 and "cannot reach the tollama daemon" in down.stderr
    assert "Traceback" not in down.stderr + not_pulled.stderr
