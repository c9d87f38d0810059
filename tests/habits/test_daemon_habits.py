"""Ollama's daemon habits over HTTP: ``GET /``, keep_alive 0 unloads, shutdown, offline /docs, ps columns."""

from __future__ import annotations

import re

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess

pytestmark = pytest.mark.slow
SERIES = [{"id": "s", "target": [1.0, 2.0, 3.0]}]


def test_root_says_tollama_is_running_without_a_key(tollama_home) -> None:
    with DaemonProcess(tollama_home, env={"TOLLAMA_API_KEYS": "secret"}) as daemon:
        answer = httpx.get(f"{daemon.base_url}/", trust_env=False)
        assert (answer.status_code, answer.text) == (200, "tollama is running")
        assert answer.headers["content-type"].startswith("text/plain")
        assert httpx.head(f"{daemon.base_url}/", trust_env=False).status_code == 200
        assert httpx.get(f"{daemon.base_url}/api/tags", trust_env=False).status_code == 401


def test_model_with_no_series_loads_and_keep_alive_zero_unloads(http) -> None:
    http.post("/api/pull", json={"model": "mock", "stream": False})
    loaded = http.post("/api/forecast", json={"model": "mock", "keep_alive": "1h", "stream": False}).json()
    assert loaded == {"model": "mock", "done": True, "done_reason": "load", "forecasts": []}
    (entry,) = http.get("/api/ps").json()["models"]
    assert entry["name"] == "mock" and entry["rss_bytes"] > 1_000_000 and entry["device"] == "CPU"
    streamed = http.post("/api/forecast", json={"model": "mock", "keep_alive": 0}).text.splitlines()
    assert streamed == ['{"model":"mock","done":true,"done_reason":"unload","forecasts":[]}']
    assert http.get("/api/ps").json() == {"models": []}


def test_forecast_errors_are_unchanged_by_the_load_idiom(http) -> None:
    http.post("/api/pull", json={"model": "mock", "stream": False})
    missing = http.post("/api/forecast", json={"model": "mock", "series": SERIES, "stream": False})
    assert (missing.status_code, missing.json()) == (400, {"error": "missing required field 'horizon'"})
    assert http.post("/api/forecast", json={}).status_code == 400
    unknown = http.post("/api/forecast", json={"model": "no-such-model", "keep_alive": 0})
    assert unknown.status_code == 404 and "no-such-model" in unknown.json()["error"]
    bad = http.post("/api/forecast", json={"model": "mock", "keep_alive": "soon"})
    assert bad.status_code == 400 and "keep_alive" in bad.json()["error"]


def test_docs_and_redoc_load_every_asset_from_the_daemon(http) -> None:
    for page in ("/docs", "/redoc"):
        html = http.get(page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith("/docs-static/") for a in assets), assets
        assert "cdn" not in html.lower() and "fonts.googleapis" not in html
        for asset in assets:
            answer = http.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 1000, asset


def test_openapi_documents_summaries_and_examples(http) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    forecast = paths["/api/forecast"]["post"]
    assert forecast["summary"] and "keep_alive" in forecast["description"]
    examples = forecast["requestBody"]["content"]["application/json"]["examples"]
    assert examples["unload"]["value"] == {"model": "auto-ets", "keep_alive": 0}
    assert paths["/api/ps"]["get"]["summary"] == "Loaded models"
    assert "/api/shutdown" in paths and "/" in paths


def test_shutdown_stops_the_daemon_and_needs_the_key_when_keys_exist(tollama_home) -> None:
    with DaemonProcess(tollama_home, env={"TOLLAMA_API_KEYS": "secret"}) as daemon:
        refused = httpx.post(f"{daemon.base_url}/api/shutdown", trust_env=False)
        assert refused.status_code == 401 and daemon.process.poll() is None
        answer = httpx.post(
            f"{daemon.base_url}/api/shutdown", headers={"authorization": "Bearer secret"}, trust_env=False
        )
        assert answer.json() == {"status": "shutting down", "grace_seconds": 10.0}
        assert daemon.process.wait(timeout=30) == 0
