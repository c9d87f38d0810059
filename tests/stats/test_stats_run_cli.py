"""``tollama run`` from a clean TOLLAMA_HOME: it starts a daemon, pulls the model and forecasts."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tollama.testing.daemon import free_port, run_cli, stop_autostarted_daemon

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.slow


def test_run_from_a_clean_home_starts_a_daemon_and_pulls_the_model(tmp_path: Path):
    home = tmp_path / "clean-home"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        "TOLLAMA_HOME": str(home),
        "TOLLAMA_HOST": f"127.0.0.1:{port}",
        "TOLLAMA_BASE_URL": base_url,
        "TOLLAMA_NO_AUTOSTART": "0",
        "TOLLAMA_API_KEYS": "",
        "TOLLAMA_API_KEY": "",
    }
    try:
        first = run_cli("run", "auto-ets", "--input", str(EXAMPLES / "airpassengers.json"), env=env, timeout=240)
        assert first.returncode == 0, first.stderr
        assert f"Started tollama daemon at {base_url}" in first.stderr
        assert "Pulling 'auto-ets' (not installed yet)" in first.stderr
        assert "airpassengers (auto-ets)" in first.stdout
        assert "1961-01-01" in first.stdout and "1961-12-01" in first.stdout  # twelve monthly steps
        assert (home / "models").is_dir()

        # The daemon is up and auto-ets installed: nothing is started or pulled again.
        again = run_cli("run", "auto-ets", "--input", str(EXAMPLES / "airpassengers.json"), "--json", env=env)
        assert again.returncode == 0, again.stderr
        assert "Started" not in again.stderr and "Pulling" not in again.stderr
        assert len(json.loads(again.stdout)["forecasts"][0]["mean"]) == 12

        # No model named anywhere: the configured default serves, pulled on first use.
        assert run_cli("config", "set", "default_model", "seasonal-naive", env=env).returncode == 0
        daily = run_cli("run", "--input", str(EXAMPLES / "daily_visits.json"), "--json", env=env)
        assert daily.returncode == 0, daily.stderr
        assert "Pulling 'seasonal-naive'" in daily.stderr
        response = json.loads(daily.stdout)
        assert response["model"] == "seasonal-naive"
        assert [f["id"] for f in response["forecasts"]] == ["museum", "park"]
        assert any("series 'park': 3 missing target values were filled" in w for w in response["warnings"])
    finally:
        stop_autostarted_daemon(home)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base_url}/api/version", timeout=2, trust_env=False)
