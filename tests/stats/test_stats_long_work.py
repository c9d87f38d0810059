"""Long stats work through a real daemon: progress per chunk, workers stopped on a client gone or a killed daemon.

Today's failures these guard against: stats-ensemble on 1,428 series died at the 300 s
timeout with its runner killed although it was making progress; a client that hung up left
two workers computing for minutes; a daemon killed with SIGKILL left its runner, fork server
and workers running. No sleeps: every wait polls ``/proc`` or the stream with a deadline.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import orjson
import pytest

from tollama.testing.daemon import DaemonProcess
from tollama.testing.processes import alive, children, descendants, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")]
SERIES = 400  # minutes of stats-ensemble work on two cores: busy for as long as any test needs
STOP_WITHIN_SECONDS = 10.0


def _busy_request(model: str = "stats-ensemble") -> dict:
    rng = np.random.default_rng(0)
    series = [
        {"id": f"s{i}", "target": np.round(100 + rng.normal(0, 1, 120).cumsum(), 3).tolist()} for i in range(SERIES)
    ]
    return {"model": model, "horizon": 12, "stream": True, "series": series}


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    with DaemonProcess(tmp_path / "home", env={"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "120"}) as running:
        with httpx.Client(base_url=running.base_url, timeout=60, trust_env=False) as http:
            for model in ("stats-ensemble", "seasonal-naive"):
                assert http.post("/api/pull", json={"model": model, "stream": False}).status_code == 200
        yield running


def _workers(runner: int) -> list[int]:
    """Pool workers: processes two levels under the runner (runner → fork server → worker)."""
    return [pid for child in children(runner) for pid in children(child)]


def _start_busy(http: httpx.Client) -> tuple[httpx.Response, Iterator[dict], int]:
    """A streamed stats request, read until its runner's pool workers are computing."""
    response = http.send(http.build_request("POST", "/api/forecast", json=_busy_request()), stream=True)
    assert response.status_code == 200
    lines = (orjson.loads(line) for line in response.iter_lines() if line.strip())
    for event in lines:
        if event.get("status") == "forecasting":
            break
    runner = http.get("/api/ps").json()["models"][0]["pid"]
    wait_until(lambda: len(_workers(runner)) >= 1, 60, "the stats runner's pool workers started")
    return response, lines, runner


def test_progress_lines_count_series_and_a_client_gone_stops_the_workers(daemon):
    with httpx.Client(base_url=daemon.base_url, timeout=120, trust_env=False) as http:
        response, lines, runner = _start_busy(http)
        first = next(e for e in lines if "completed" in e)
        assert first["status"] == "forecasting" and first["total"] == SERIES and 0 < first["completed"] < SERIES
        workers = _workers(runner)
        assert workers
        response.close()  # the client hangs up (Ctrl-C)
        wait_until(lambda: not any(alive(pid) for pid in workers), STOP_WITHIN_SECONDS, f"workers {workers} stopped")
        assert alive(runner)  # the runner itself serves on
        assert "cancelled" in (daemon.home / "logs" / "runner-stats.log").read_text()
        small = {**_busy_request("seasonal-naive"), "stream": False}
        small["series"] = small["series"][:3]
        assert http.post("/api/forecast", json=small).status_code == 200
        assert {m["pid"] for m in http.get("/api/ps").json()["models"]} == {runner}


def test_a_daemon_killed_outright_leaves_no_runner_fork_server_or_worker(daemon):
    assert daemon.process is not None
    with httpx.Client(base_url=daemon.base_url, timeout=120, trust_env=False) as http:
        response, _lines, runner = _start_busy(http)
        tree = [runner, *descendants(runner)]
        assert len(tree) >= 3, tree  # runner, fork server, at least one worker
        os.kill(daemon.process.pid, signal.SIGKILL)
        daemon.process.wait()
        response.close()
    gone = f"processes {tree} died with the daemon"
    wait_until(lambda: not any(alive(pid) for pid in tree), STOP_WITHIN_SECONDS, gone)
