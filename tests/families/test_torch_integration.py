"""The torch family on the real published weights, pulled from the real Hugging Face hub.

Skipped unless ``TOLLAMA_RUN_INTEGRATION_TESTS=1`` (downloads about 1 GB; needs hub access). Real
weights must forecast a clean seasonal signal well: the error against its true continuation is
a small fraction of the signal's amplitude, and Chronos-2 must use a known-future covariate that
fully explains a step in the target.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tollama.testing.daemon import DaemonProcess, run_cli
from tollama.testing.families import BUILD_TIMEOUT_SECONDS, CALL_TIMEOUT_SECONDS, shared_runtimes_dir
from tollama.testing.pulls import pull_events

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(
        os.environ.get("TOLLAMA_RUN_INTEGRATION_TESTS") != "1", reason="set TOLLAMA_RUN_INTEGRATION_TESTS=1"
    ),
]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    home = tmp_path_factory.mktemp("torch-integration")
    env = {"TOLLAMA_RUNTIMES_DIR": str(shared_runtimes_dir()), "HF_HOME": str(home / "hf-home")}
    with DaemonProcess(home / "home", env=env) as running:
        done = run_cli("runtime", "install", "torch", env=running.cli_env(), timeout=BUILD_TIMEOUT_SECONDS)
        assert done.returncode == 0, done.stderr
        yield running


def seasonal(n: int, period: int = 24) -> np.ndarray:
    return 100 + 20 * np.sin(2 * np.pi * np.arange(n) / period)


def forecast(daemon: DaemonProcess, request: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{daemon.base_url}/api/forecast", json={**request, "stream": False}, timeout=CALL_TIMEOUT_SECONDS
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("model", "horizon"),
    [("chronos2", 48), ("chronos-bolt-small", 48), ("chronos-bolt-base", 48), ("granite-ttm-r2", 96)],
)
def test_real_weights_continue_a_seasonal_signal(daemon: DaemonProcess, model: str, horizon: int) -> None:
    events = pull_events(daemon.base_url, {"model": model}, timeout=CALL_TIMEOUT_SECONDS)
    assert events[-1].get("status") == "success", events
    n = 480
    truth = seasonal(n + horizon)
    request = {
        "model": model,
        "horizon": horizon,
        "quantiles": [0.1, 0.5, 0.9],
        "series": [{"id": "sine", "freq": "h", "target": truth[:n].tolist()}],
    }
    out = forecast(daemon, request)["forecasts"][0]
    error = np.mean(np.abs(np.array(out["mean"]) - truth[n:]))
    assert error < 4.0, f"{model}: mean absolute error {error:.2f} on a sine of amplitude 20"
    q10, q90 = np.array(out["quantiles"]["0.1"]), np.array(out["quantiles"]["0.9"])
    assert np.all(q10 <= q90)


def test_chronos2_uses_a_known_future_covariate(daemon: DaemonProcess) -> None:
    pull_events(daemon.base_url, {"model": "chronos2"}, timeout=CALL_TIMEOUT_SECONDS)
    n, horizon = 200, 24
    promo = (np.arange(n + horizon) % 10 < 3).astype(float)
    target = 50 + 30 * promo
    request = {
        "model": "chronos2",
        "horizon": horizon,
        "series": [
            {
                "id": "s",
                "target": target[:n].tolist(),
                "past_covariates": {"promo": promo[:n].tolist()},
                "future_covariates": {"promo": promo[n:].tolist()},
            }
        ],
    }
    mean = np.array(forecast(daemon, request)["forecasts"][0]["mean"])
    assert math.isclose(np.corrcoef(mean, promo[n:])[0, 1], 1.0, abs_tol=0.2)


def test_the_examples_run(daemon: DaemonProcess) -> None:
    for name in ("chronos2_request.json", "granite_ttm_request.json"):
        request = json.loads((EXAMPLES / name).read_text())
        pull_events(daemon.base_url, {"model": request["model"]}, timeout=CALL_TIMEOUT_SECONDS)
        answer = forecast(daemon, request)
        assert all(len(f["mean"]) == request["horizon"] for f in answer["forecasts"])
