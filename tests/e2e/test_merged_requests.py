"""Dynamic batching through a real daemon: concurrent mock requests merged into one runner call.

The mock runner logs each call with its series count, which shows what was merged. The first
request holds the model (``compute_seconds``) while the others arrive; they queue in the runner
and go together as soon as it is free.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess
from tollama.testing.probes import wait_until

HOLD_SECONDS = 3.0  # how long the first request keeps the model busy while the others arrive
CONCURRENT = 6  # more than the non-batching default of TOLLAMA_NUM_PARALLEL (4)


def _request(tag: str, last: float, compute: float = 0.0) -> dict:
    return {
        "model": "mock",
        "horizon": 3,
        "quantiles": [0.1, 0.9],
        "stream": False,
        "series": [{"id": "same-id", "freq": "D", "timestamps": ["2025-01-01", "2025-01-02"], "target": [1.0, last]}],
        "options": {"compute_seconds": compute, "tag": tag},
    }


def _calls(daemon: DaemonProcess, tag: str) -> list[int]:
    path = daemon.home / "logs" / "runner-mock.log"
    log = path.read_text() if path.exists() else ""
    return [int(n) for n in re.findall(rf"forecast model=mock series=(\d+) tag='{tag}'", log)]


def _forecasts(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["forecasts"]


@pytest.mark.slow
def test_concurrent_requests_are_merged_and_answered_as_if_alone(tollama_home):
    with DaemonProcess(tollama_home) as daemon:
        base = daemon.base_url
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as http:
            http.post("/api/pull", json={"model": "mock", "stream": False})
            with ThreadPoolExecutor(CONCURRENT + 1) as pool:
                first = pool.submit(http.post, "/api/forecast", json=_request("batch", 0.0, HOLD_SECONDS))
                wait_until(lambda: _calls(daemon, "batch") == [1], "the first request to hold the model")
                bodies = [_request("batch", float(i), HOLD_SECONDS) for i in range(CONCURRENT)]
                futures = [pool.submit(httpx.post, f"{base}/api/forecast", json=b, timeout=60) for b in bodies]
                merged = [_forecasts(f.result()) for f in futures]
                assert _forecasts(first.result())[0]["mean"] == [0.0, 0.0, 0.0]
            # Unbatched reference: the same requests one at a time, with a tag of their own.
            alone = [_forecasts(http.post("/api/forecast", json={**b, "options": {"tag": "alone"}})) for b in bodies]
    assert _calls(daemon, "batch") == [1, CONCURRENT]
    assert _calls(daemon, "alone") == [1] * CONCURRENT
    assert merged == alone
    assert [f[0]["mean"] for f in merged] == [[float(i)] * 3 for i in range(CONCURRENT)]
    assert all(f[0]["id"] == "same-id" and f[0]["timestamps"][0] == "2025-01-03" for f in merged)


@pytest.mark.slow
def test_batching_can_be_turned_off(tollama_home):
    env = {"TOLLAMA_BATCH_MAX_SERIES": "0"}
    with DaemonProcess(tollama_home, env=env) as daemon, httpx.Client(base_url=daemon.base_url, timeout=60) as http:
        http.post("/api/pull", json={"model": "mock", "stream": False})
        with ThreadPoolExecutor(3) as pool:
            first = pool.submit(http.post, "/api/forecast", json=_request("off", 0.0, HOLD_SECONDS))
            wait_until(lambda: _calls(daemon, "off") == [1], "the first request to hold the model")
            bodies = [_request("off", float(i), HOLD_SECONDS) for i in range(2)]
            futures = [pool.submit(httpx.post, f"{daemon.base_url}/api/forecast", json=b, timeout=60) for b in bodies]
            assert all(f.result().status_code == 200 for f in futures) and first.result().status_code == 200
        info = http.get("/api/info").json()
    assert _calls(daemon, "off") == [1, 1, 1]
    assert info["daemon"]["batch_max_series"] == 0
    assert info["env_vars"]["TOLLAMA_BATCH_WINDOW_MS"]["default"] == "0"
