"""The real published Sundial and Toto weights from the real Hugging Face hub (opt-in).

Runs only with ``TOLLAMA_RUN_INTEGRATION_TESTS=1`` and network access to huggingface.co: pull
through the daemon, forecast the bundled example, and compare with the library called
in-process on the same snapshot. Checks layout and plausibility, not accuracy.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess
from tollama.testing.families import shared_runtimes_dir
from tollama.testing.pulls import pull_events

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(
        os.environ.get("TOLLAMA_RUN_INTEGRATION_TESTS") != "1",
        reason="set TOLLAMA_RUN_INTEGRATION_TESTS=1 to pull real weights from huggingface.co",
    ),
]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASES = [("sundial", "sundial-base-128m", "sundial_request.json"), ("toto", "toto-open-base-1.0", "toto_request.json")]


@pytest.mark.parametrize(("family", "model", "example"), CASES, ids=[c[0] for c in CASES])
def test_real_weights_pull_and_forecast(tmp_path: Path, family: str, model: str, example: str) -> None:
    env = {"TOLLAMA_RUNTIMES_DIR": str(shared_runtimes_dir()), "HF_HOME": str(tmp_path / "hf")}
    with DaemonProcess(tmp_path / "home", env=env) as daemon:
        events = pull_events(daemon.base_url, {"model": model}, timeout=3000)
        assert events[-1].get("status") == "success", events[-3:]
        shown = httpx.post(f"{daemon.base_url}/api/show", json={"model": model}, timeout=30, trust_env=False).json()
        snapshot = Path(shown["resolved"]["snapshot_path"])
        assert not list(snapshot.glob("*.py")), "repo code must never be downloaded"
        request = json.loads((EXAMPLES / example).read_text())
        response = httpx.post(
            f"{daemon.base_url}/api/forecast", json={**request, "stream": False}, timeout=1800, trust_env=False
        )
        assert response.status_code == 200, response.text
        answer = response.json()
    for forecast, series in zip(answer["forecasts"], request["series"], strict=True):
        assert len(forecast["mean"]) == request["horizon"] and all(math.isfinite(v) for v in forecast["mean"])
        observed = [v for v in series["target"] if v is not None]
        width = max(observed) - min(observed)
        assert min(observed) - 3 * width <= sum(forecast["mean"]) / len(forecast["mean"]) <= max(observed) + 3 * width
    python = shared_runtimes_dir() / family / "venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "tollama.testing.checkpoints", "baseline", model, "--snapshot", str(snapshot)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=1800,
        check=True,
    )
    expected = json.loads(done.stdout)
    for got, want in zip(answer["forecasts"], expected["forecasts"], strict=True):
        assert got["mean"] == pytest.approx(want["mean"], rel=1e-3, abs=1e-3)
