"""TimesFM 2.5 and Moirai 2.0 with their REAL published weights from the real Hugging Face hub.

Skipped unless ``TOLLAMA_RUN_INTEGRATION_TESTS=1`` (it downloads about 1 GB and needs the hub).
It uses the family runtimes the other family tests build (``TOLLAMA_TEST_RUNTIMES_DIR``), a
daemon with its own home and Hugging Face cache, and checks what random weights cannot: that the
pinned revision resolves, that the real files load through the runner, and that a smooth seasonal
series gets a sensible forecast.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess, run_cli
from tollama.testing.families import BUILD_TIMEOUT_SECONDS, CALL_TIMEOUT_SECONDS, shared_runtimes_dir
from tollama.testing.pulls import pull_events

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(
        os.environ.get("TOLLAMA_RUN_INTEGRATION_TESTS") != "1",
        reason="set TOLLAMA_RUN_INTEGRATION_TESTS=1 to pull real weights from the Hugging Face hub",
    ),
]
PERIOD = 24
SEASONAL = [100.0 + 10.0 * math.sin(2 * math.pi * i / PERIOD) for i in range(PERIOD * 20)]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    home = tmp_path_factory.mktemp("real-hub")
    env = {"TOLLAMA_RUNTIMES_DIR": str(shared_runtimes_dir()), "HF_HOME": str(home / "hf-home")}
    with DaemonProcess(home / "home", env=env) as running:
        yield running


def forecast(daemon: DaemonProcess, model: str, **extra: object) -> dict:
    body = {
        "model": model,
        "horizon": PERIOD,
        "quantiles": [0.1, 0.5, 0.9],
        "series": [{"id": "wave", "freq": "h", "target": SEASONAL}],
        "stream": False,
        **extra,
    }
    response = httpx.post(f"{daemon.base_url}/api/forecast", json=body, timeout=CALL_TIMEOUT_SECONDS, trust_env=False)
    assert response.status_code == 200, f"{response.status_code}: {response.text}\n{daemon.log()[-3000:]}"
    return response.json()["forecasts"][0]


def assert_follows_the_wave(answer: dict) -> None:
    """The next period of a clean sine: every real model gets it within a few units."""
    expected = [100.0 + 10.0 * math.sin(2 * math.pi * i / PERIOD) for i in range(len(SEASONAL), len(SEASONAL) + PERIOD)]
    error = sum(abs(a - b) for a, b in zip(answer["mean"], expected, strict=True)) / PERIOD
    assert error < 3.0, (error, answer["mean"])
    assert all(lo <= hi for lo, hi in zip(answer["quantiles"]["0.1"], answer["quantiles"]["0.9"], strict=True))


@pytest.mark.parametrize(("family", "model", "pull_body"), [
    ("timesfm", "timesfm-2.5-200m", {}),
    ("uni2ts", "moirai-2.0-R-small", {"accept_license": True}),
])  # fmt: skip
def test_real_weights_pull_load_and_forecast(daemon: DaemonProcess, family: str, model: str, pull_body: dict) -> None:
    installed = run_cli("runtime", "install", family, env=daemon.cli_env(), timeout=BUILD_TIMEOUT_SECONDS)
    assert installed.returncode == 0, installed.stderr
    events = pull_events(daemon.base_url, {"model": model, **pull_body}, timeout=CALL_TIMEOUT_SECONDS)
    assert events[-1].get("status") == "success", events[-3:]
    shown = httpx.post(f"{daemon.base_url}/api/show", json={"model": model}, timeout=30, trust_env=False).json()
    assert Path(shown["resolved"]["snapshot_path"], "model.safetensors").is_file()
    assert_follows_the_wave(forecast(daemon, model))
