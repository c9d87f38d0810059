"""Long work through a real daemon and the mock runner: the timeout counts time without progress.

The mock reports progress ``options.progress_steps`` times over ``options.delay_seconds``, like
a stats model finishing chunks; its sleep ends on a cancel, like a stats pool terminated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tollama.testing.daemon import DaemonProcess
from tollama.testing.processes import wait_until

SERIES = [{"id": "s1", "target": [1.0, 2.0]}]


def _request(delay: float, steps: int = 1, stream: bool = True) -> dict:
    options = {"delay_seconds": delay, "progress_steps": steps}
    return {"model": "mock", "horizon": 2, "stream": stream, "series": SERIES, "options": options}


@pytest.fixture
def make_daemon(tollama_home: Path) -> Iterator:
    started: list[DaemonProcess] = []

    def make(**env: str) -> tuple[DaemonProcess, httpx.Client]:
        daemon = DaemonProcess(tollama_home, env=env)
        daemon.start()
        started.append(daemon)
        http = httpx.Client(base_url=daemon.base_url, timeout=60, trust_env=False)
        assert http.post("/api/pull", json={"model": "mock", "stream": False}).status_code == 200
        return daemon, http

    yield make
    for daemon in started:
        daemon.stop()


def test_work_that_keeps_progressing_outlives_the_no_progress_timeout(make_daemon):
    _, http = make_daemon(TOLLAMA_FORECAST_TIMEOUT_SECONDS="1")
    answer = http.post("/api/forecast", json=_request(delay=3, steps=12))
    lines = [orjson.loads(line) for line in answer.text.splitlines()]
    assert answer.status_code == 200 and lines[-1]["done"] is True, lines[-1]
    progress = [line for line in lines if "completed" in line]
    assert progress == [{"status": "forecasting", "completed": n, "total": 12, "done": False} for n in range(1, 13)]
    quiet = http.post("/api/forecast", json=_request(delay=3, stream=False))
    assert quiet.status_code == 504 and "no progress" in quiet.json()["error"]


def test_the_optional_total_timeout_bounds_work_however_it_progresses(make_daemon):
    _, http = make_daemon(TOLLAMA_FORECAST_TIMEOUT_SECONDS="30", TOLLAMA_FORECAST_TOTAL_TIMEOUT_SECONDS="1")
    answer = http.post("/api/forecast", json=_request(delay=6, steps=30, stream=False))
    assert answer.status_code == 504 and "within 1s in all" in answer.json()["error"]
    assert http.get("/api/info").json()["daemon"]["forecast_total_timeout_seconds"] == 1


def test_a_client_that_hangs_up_cancels_its_work_in_the_runner(make_daemon, tollama_home):
    daemon, http = make_daemon(TOLLAMA_NUM_PARALLEL="1")
    with pytest.raises(httpx.ReadTimeout):  # the client gives up (as Ctrl-C does) and closes the connection
        url = f"{daemon.base_url}/api/forecast"
        httpx.post(url, json=_request(delay=120, stream=False), timeout=2, trust_env=False)
    log = tollama_home / "logs" / "runner-mock.log"
    wait_until(lambda: "cancelled" in log.read_text(), 15, "the runner heard the cancel")
    # With one place per model, the next request is served only once the cancelled one has left.
    assert http.post("/api/forecast", json=_request(delay=0, stream=False), timeout=15).status_code == 200
