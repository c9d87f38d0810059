"""Admission through a real daemon: a full queue, a client that leaves, the loaded-model cap."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest

from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest
from tollama.core.store import ModelStore
from tollama.testing.daemon import DaemonProcess
from tollama.testing.probes import metric, wait_until

ONE_AT_A_TIME = {"TOLLAMA_NUM_PARALLEL": "1", "TOLLAMA_MAX_QUEUE": "1"}


def _request(tag: str, delay: float = 0.0, model: str = "mock", stream: bool = False) -> dict:
    return {
        "model": model,
        "horizon": 2,
        "stream": stream,
        "series": [{"id": "s1", "target": [1.0, 2.0]}],
        "options": {"delay_seconds": delay, "tag": tag},
    }


def _client(daemon: DaemonProcess) -> httpx.Client:
    return httpx.Client(base_url=daemon.base_url, timeout=60, trust_env=False)


def _runner_log(daemon: DaemonProcess) -> str:
    return (daemon.home / "logs" / "runner-mock.log").read_text()


def test_full_queue_answers_503_with_retry_after_before_any_stream_starts(tollama_home):
    with DaemonProcess(tollama_home, env=ONE_AT_A_TIME) as daemon, _client(daemon) as http:
        http.post("/api/pull", json={"model": "mock", "stream": False})
        assert http.post("/api/forecast", json=_request("warm")).status_code == 200
        with ThreadPoolExecutor(2) as pool, _client(daemon) as other:
            running = pool.submit(http.post, "/api/forecast", json=_request("running", delay=2))
            wait_until(lambda: metric(other, "tollama_queue_in_flight", model="mock") == 1, "one request in flight")
            queued = pool.submit(other.post, "/api/forecast", json=_request("queued"))
            with _client(daemon) as third:
                wait_until(lambda: metric(third, "tollama_queue_waiting", model="mock") == 1, "one request queued")
                busy = third.post("/api/forecast", json=_request("busy"))
                busy_stream = third.post("/api/forecast", json=_request("busy-stream", stream=True))
                busy_v1 = third.post("/v1/forecast", json=_request("busy-v1"))
                rejected = metric(third, "tollama_queue_rejected_total", model="mock")
            assert running.result().status_code == 200 and queued.result().status_code == 200
        for refused in (busy, busy_stream, busy_v1):
            assert refused.status_code == 503, refused.text
            assert int(refused.headers["retry-after"]) >= 1
            assert "TOLLAMA_MAX_QUEUE=1" in refused.json()["error"]
        assert busy_stream.headers["content-type"].startswith("application/json")
        assert rejected == 3
        log = _runner_log(daemon)
    assert "'queued'" in log and "busy" not in log


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_disconnects_while_queued_is_never_computed(tollama_home, stream):
    with DaemonProcess(tollama_home, env=ONE_AT_A_TIME) as daemon, _client(daemon) as http:
        http.post("/api/pull", json={"model": "mock", "stream": False})
        assert http.post("/api/forecast", json=_request("warm")).status_code == 200
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(http.post, "/api/forecast", json=_request("running", delay=2))
            with _client(daemon) as probe:
                wait_until(lambda: metric(probe, "tollama_queue_in_flight", model="mock") == 1, "one in flight")
                body = orjson.dumps(_request("gone", stream=stream))
                raw = socket.create_connection(("127.0.0.1", daemon.port))
                raw.sendall(
                    b"POST /api/forecast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                wait_until(lambda: metric(probe, "tollama_queue_waiting", model="mock") == 1, "the request queued")
                raw.close()
                wait_until(lambda: metric(probe, "tollama_queue_dropped_total", model="mock") == 1, "the drop")
                assert metric(probe, "tollama_queue_waiting", model="mock") == 0
            assert running.result().status_code == 200
        assert http.post("/api/forecast", json=_request("after")).status_code == 200
        # A queued stream has already answered 200 and its first line; a plain request ends as 499.
        dropped_status = metric(http, "tollama_requests_total", route="/api/forecast", status="499")
        log = _runner_log(daemon)
    assert "'running'" in log and "'after'" in log
    assert "'gone'" not in log  # the runner never received it
    assert dropped_status == (0 if stream else 1)


def test_loaded_model_cap_unloads_the_least_recently_used_idle_model(tollama_home):
    # A second installed model of the mock family: a manifest written into this test's own home
    # (nothing is added to the packaged registry).
    second = ModelManifest(**{**get_spec("mock").model_dump(), "name": "mock-b"}, pulled_at="2025-01-01T00:00:00+00:00")
    ModelStore(tollama_home / "models").put(second)
    with DaemonProcess(tollama_home, env={"TOLLAMA_MAX_LOADED_MODELS": "1"}) as daemon, _client(daemon) as http:
        http.post("/api/pull", json={"model": "mock", "stream": False})

        def loaded() -> list[str]:
            return [m["name"] for m in http.get("/api/ps").json()["models"]]

        assert http.post("/api/forecast", json=_request("a")).status_code == 200
        assert loaded() == ["mock"]
        assert http.post("/api/forecast", json=_request("b", model="mock-b")).status_code == 200
        assert loaded() == ["mock-b"]
        # A busy model is not evicted: the other request waits until it is idle, then both succeed.
        with ThreadPoolExecutor(2) as pool:
            busy = pool.submit(http.post, "/api/forecast", json=_request("busy", delay=1.5, model="mock-b"))
            with _client(daemon) as other:
                wait_until(lambda: metric(other, "tollama_queue_in_flight", model="mock-b") == 1, "mock-b busy")
                waiting = pool.submit(other.post, "/api/forecast", json=_request("waits"))
                assert busy.result().status_code == 200 and waiting.result().status_code == 200
        assert loaded() == ["mock"]
        assert metric(http, "tollama_model_evictions_total") == 2
        assert metric(http, "tollama_loaded_models") == 1
        log = _runner_log(daemon)
    assert log.index("unload model=mock\n") < log.index("load model=mock-b")
    assert log.index("tag='busy'") < log.index("unload model=mock-b")
