"""``/metrics`` in Prometheus format, request ids, and one structured log line per request."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tollama.core.config import Paths
from tollama.daemon.app import create_app
from tollama.daemon.settings import DaemonSettings
from tollama.testing.probes import metric

REQUEST = {"model": "mock", "horizon": 2, "stream": False, "series": [{"id": "s1", "target": [1.0, 2.0]}]}


def _access_lines(log: str) -> list[dict]:
    return [json.loads(line.split(" INFO ", 1)[1]) for line in log.splitlines() if " tollama.access INFO " in line]


def test_metrics_cover_requests_latency_queues_models_and_load_time(daemon, http):
    http.post("/api/pull", json={"model": "mock", "stream": False})
    for _ in range(3):
        assert http.post("/api/forecast", json=REQUEST).status_code == 200
    assert http.post("/api/forecast", json={**REQUEST, "model": "nope"}).status_code == 404
    response = http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    assert {
        "tollama_requests",
        "tollama_request_duration_seconds",
        "tollama_queue_waiting",
        "tollama_queue_in_flight",
        "tollama_queue_rejected",
        "tollama_queue_dropped",
        "tollama_loaded_models",
        "tollama_runner_restarts",
        "tollama_runner_start_failures",
        "tollama_model_load_seconds",
        "tollama_model_evictions",
    } <= set(families)
    assert metric(http, "tollama_requests_total", route="/api/forecast", method="POST", status="200") == 3
    assert metric(http, "tollama_requests_total", route="/api/forecast", method="POST", status="404") == 1
    assert metric(http, "tollama_request_duration_seconds_count", route="/api/forecast", method="POST") == 4
    assert metric(http, "tollama_model_load_seconds_count", family="mock") == 1
    assert metric(http, "tollama_loaded_models") == 1
    assert metric(http, "tollama_queue_in_flight", model="mock") == 0
    assert metric(http, "tollama_runner_restarts_total", family="mock") == 0
    # Unknown paths share one label: a scanner cannot blow up the series count.
    http.get("/no/such/path/1")
    http.get("/no/such/path/2")
    assert metric(http, "tollama_requests_total", route="unmatched", status="404") == 2


def test_request_ids_are_echoed_or_made_and_logged_once_per_request(daemon, http):
    mine = http.get("/api/version", headers={"X-Request-Id": "client-42.a:b"})
    assert mine.headers["x-request-id"] == "client-42.a:b"
    made = http.get("/api/tags")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    unsafe = http.get("/api/tags", headers={"X-Request-Id": "evil\tid with spaces" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])
    failed = http.post("/api/show", json={"model": "missing"}, headers={"X-Request-Id": "show-1"})
    assert failed.status_code == 404 and failed.headers["x-request-id"] == "show-1"
    http.get("/metrics")  # a later request: the lines above are flushed by now
    lines = _access_lines(daemon.log())
    by_id = {line["request_id"]: line for line in lines}
    assert len(by_id) == len(lines)  # one line per request
    assert by_id["client-42.a:b"] | {"duration_ms": 0} == {
        "request_id": "client-42.a:b",
        "method": "GET",
        "path": "/api/version",
        "route": "/api/version",
        "status": 200,
        "duration_ms": 0,
        "client": "127.0.0.1",
    }
    assert by_id["show-1"]["status"] == 404 and by_id[made.headers["x-request-id"]]["route"] == "/api/tags"


@pytest.mark.parametrize("request_id", [None, "trace-7"])
def test_an_unexpected_error_names_the_request_id_in_the_answer(tmp_path, request_id):
    settings = DaemonSettings(paths=Paths(tmp_path), host="127.0.0.1", port=11435, forecast_timeout=5, keep_alive=5)
    app = create_app(settings)

    @app.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret detail that must stay in the log")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/boom", headers={"X-Request-Id": request_id} if request_id else {})

    response = asyncio.run(call())
    assert response.status_code == 500
    rid = response.headers["x-request-id"]
    assert rid == (request_id or rid) and len(rid) >= 7
    assert response.json() == {"error": f"internal error; see the daemon log (request id {rid})"}
