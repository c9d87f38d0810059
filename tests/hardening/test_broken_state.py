"""Broken files on disk (issue 15, point 9): a bad manifest breaks only its model, and a bad
config.json is one clear error at start-up, or, on a running daemon, ignored with a log line."""

from __future__ import annotations

import json

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess, run_cli

FORECAST = {"model": "mock", "horizon": 2, "stream": False, "series": [{"id": "s", "target": [1.0, 2.0]}]}


def test_a_corrupt_manifest_is_listed_as_broken_and_pull_or_rm_repairs_it(daemon, http):
    assert http.post("/api/pull", json={"model": "mock", "stream": False}).status_code == 200
    models = daemon.home / "models"
    (models / "chronos2" / "manifest.json").mkdir(parents=True)  # a folder where the manifest should be
    (models / "sundial").mkdir()
    (models / "sundial" / "manifest.json").write_text("{not json")
    listed = http.get("/api/tags")
    assert listed.status_code == 200, listed.text
    by_name = {m["name"]: m for m in listed.json()["models"]}
    assert "error" not in by_name["mock"]
    assert by_name["chronos2"]["error"].startswith("broken (manifest is a folder)")
    assert "tollama pull sundial" in by_name["sundial"]["error"]
    cli = run_cli("list", env=daemon.cli_env())
    assert cli.returncode == 0 and "broken" in cli.stdout and "mock" in cli.stdout
    shown = http.post("/api/show", json={"model": "chronos2"})
    assert shown.status_code == 404 and "tollama pull chronos2" in shown.json()["error"]
    assert http.post("/v1/forecast", json=FORECAST).status_code == 200  # the others keep working
    assert http.request("DELETE", "/api/delete", json={"model": "chronos2"}).status_code == 200
    assert http.request("DELETE", "/api/delete", json={"model": "sundial"}).status_code == 200
    assert [m["name"] for m in http.get("/api/tags").json()["models"]] == ["mock"]


def test_a_manifest_folder_is_repaired_by_pull(daemon, http):
    (daemon.home / "models" / "mock" / "manifest.json").mkdir(parents=True)
    assert http.post("/api/show", json={"model": "mock"}).status_code == 404
    assert http.post("/api/pull", json={"model": "mock", "stream": False}).status_code == 200
    assert http.post("/api/show", json={"model": "mock"}).json()["name"] == "mock"


def test_a_bad_config_is_one_clear_error_at_start_up(tollama_home):
    tollama_home.mkdir(parents=True)
    (tollama_home / "config.json").write_text('{"daemon": ')
    daemon = DaemonProcess(tollama_home)
    with pytest.raises(RuntimeError, match="exited at start-up") as failed:
        daemon.start()
    log = str(failed.value)
    assert "config file" in log and "is invalid" in log and "Traceback" not in log
    assert daemon.process is not None and daemon.process.returncode == 2


def test_a_config_broken_under_a_running_daemon_keeps_the_last_good_one(tollama_home):
    tollama_home.mkdir(parents=True)
    config = tollama_home / "config.json"
    config.write_text(json.dumps({"default_model": "mock"}))
    with DaemonProcess(tollama_home) as daemon, httpx.Client(base_url=daemon.base_url, trust_env=False) as http:
        http.post("/api/pull", json={"model": "mock", "stream": False})
        assert http.post("/v1/forecast", json=FORECAST).status_code == 200
        config.write_text('{"default_model": ')  # a bad edit while the daemon runs
        unnamed = {k: v for k, v in FORECAST.items() if k != "model"}
        answer = http.post("/v1/forecast", json=unnamed)
        assert answer.status_code == 200, answer.text
        assert answer.json()["model"] == "mock"
        assert "keeping the config read before" in daemon.log()
