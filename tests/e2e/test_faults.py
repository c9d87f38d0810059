"""Faults through the real daemon: killed, hung and crashing runners; info redaction; no orphans."""

from __future__ import annotations

import os
import signal

import httpx
import orjson

from tollama.testing.daemon import DaemonProcess

REQUEST = {"model": "mock", "horizon": 2, "stream": False, "series": [{"id": "s1", "target": [1.0, 2.0]}]}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _runner_pid(client: httpx.Client) -> int:
    return client.get("/api/ps").json()["models"][0]["pid"]


def test_runner_killed_between_requests_is_restarted(http):
    http.post("/api/pull", json={"model": "mock", "stream": False})
    assert http.post("/api/forecast", json=REQUEST).status_code == 200
    pid = _runner_pid(http)
    os.kill(pid, signal.SIGKILL)
    second = http.post("/api/forecast", json=REQUEST)
    assert second.status_code == 200 and second.json()["forecasts"][0]["mean"] == [2.0, 2.0]
    assert _runner_pid(http) != pid


def test_hung_runner_gets_504_then_the_next_request_is_served(tollama_home):
    with (
        DaemonProcess(tollama_home, env={"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "1"}) as daemon,
        httpx.Client(base_url=daemon.base_url, timeout=30, trust_env=False) as http,
    ):
        http.post("/api/pull", json={"model": "mock", "stream": False})
        hung = http.post("/api/forecast", json={**REQUEST, "options": {"delay_seconds": 120}})
        assert hung.status_code == 504 and "did not answer 'forecast' within 1s" in hung.json()["error"]
        assert http.post("/api/forecast", json=REQUEST).status_code == 200
        runners = http.get("/api/info").json()["runners"]
        assert runners[0]["restarts"] == 1


def test_crash_mid_request_is_503_with_cause_and_streamed_as_an_error_line(http):
    http.post("/api/pull", json={"model": "mock", "stream": False})
    crashed = http.post("/api/forecast", json={**REQUEST, "options": {"exit_code": 7}})
    assert crashed.status_code == 503 and "mock runner exited with code 7" in crashed.json()["error"]
    streamed = http.post("/api/forecast", json={**REQUEST, "stream": True, "options": {"exit_code": 7}})
    lines = [orjson.loads(line) for line in streamed.text.splitlines()]
    assert streamed.status_code == 200 and lines[0]["status"].startswith("loading model")
    assert "exited with code 7" in lines[-1]["error"] and lines[-1]["status"] == 503
    assert http.post("/api/forecast", json=REQUEST).status_code == 200


def test_daemon_stop_leaves_no_orphan_runner(tollama_home):
    with DaemonProcess(tollama_home) as daemon, httpx.Client(base_url=daemon.base_url, trust_env=False) as http:
        http.post("/api/pull", json={"model": "mock", "stream": False})
        http.post("/api/forecast", json=REQUEST)
        pid = _runner_pid(http)
        assert daemon.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after a graceful shutdown
        assert "Application shutdown complete" in daemon.log()
    assert not _alive(pid)


def test_info_redacts_secrets_everywhere(tollama_home):
    env = {"HTTPS_PROXY": "http://alice:s3cret@proxy:3128", "TOLLAMA_HF_TOKEN": "hf_topsecret"}
    with DaemonProcess(tollama_home, env=env) as daemon:
        info = httpx.get(f"{daemon.base_url}/api/info", trust_env=False).json()
        log = daemon.log()
    text = orjson.dumps(info).decode()
    assert "s3cret" not in text and "hf_topsecret" not in text and "hf_topsecret" not in log
    assert info["env"]["HTTPS_PROXY"] == "http://***:***@proxy:3128"
    assert info["env"]["TOLLAMA_HF_TOKEN_present"] is True
    assert info["pull_defaults"]["https_proxy"] == {"value": "http://***:***@proxy:3128", "source": "env"}
    assert {"daemon", "paths", "config", "env", "pull_defaults", "models", "runners"} <= set(info)
