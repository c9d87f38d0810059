"""``tollama run`` from a clean TOLLAMA_HOME: it starts a daemon, pulls the model and forecasts."""

from __future__ import annotations

import json
import os
import re
import select
import signal
from pathlib import Path

import httpx
import pytest

from tollama.testing.daemon import free_port, run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STOP_TIMEOUT_SECONDS = 30
pytestmark = pytest.mark.slow


def _stop_autostarted_daemon(home: Path) -> None:
    """SIGTERM the daemon ``tollama run`` started for ``home`` (its pid is in its log) and wait for it."""
    log = home / "logs" / "daemon.log"
    found = re.search(r"Started server process \[(\d+)\]", log.read_text()) if log.exists() else None
    if found is None:
        return
    pid = int(found.group(1))
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (FileNotFoundError, PermissionError):
        return  # already gone
    if b"tollama.daemon.serve" not in cmdline or f"TOLLAMA_HOME={home}".encode() not in environ:
        return  # the pid was reused by someone else's process: leave it alone
    handle = os.pidfd_open(pid)  # readable once the process has exited, child of ours or not
    try:
        os.kill(pid, signal.SIGTERM)
        ready, _, _ = select.select([handle], [], [], STOP_TIMEOUT_SECONDS)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            select.select([handle], [], [], STOP_TIMEOUT_SECONDS)
    finally:
        os.close(handle)


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
        _stop_autostarted_daemon(home)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base_url}/api/version", timeout=2, trust_env=False)
