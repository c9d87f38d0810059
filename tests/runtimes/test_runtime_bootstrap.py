"""A real runtime build of the light ``mock`` family through a real daemon.

The builds use the machine's installer (uv when installed, warm cache: a few seconds) and the
package index pip is configured with.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from runtime_helpers import (
    BLOCKER,
    MOCK_REQUEST,
    BlockingWheelServer,
    builds_logged,
    cli,
    extra_steps,
    family_dir,
    forecast_lines,
    forget_log,
    install_mock,
    marker_path,
    read_marker,
    runner_info,
    venv_python,
)

from tollama import __version__
from tollama.testing.daemon import DaemonProcess

pytestmark = pytest.mark.slow


def test_installed_runtime_is_what_the_runner_runs_from(tollama_home: Path) -> None:
    with DaemonProcess(tollama_home) as daemon:
        done = cli(daemon, "runtime", "install", "mock")
        assert done.returncode == 0, done.stderr
        assert "bootstrapping mock runtime: creating venv" in done.stderr
        assert "bootstrapping mock runtime: installing tollama" in done.stderr
        assert venv_python(tollama_home).is_file()
        marker = read_marker(tollama_home)
        assert marker["tollama_version"] == __version__
        assert marker["python_version"] == ".".join(map(str, sys.version_info[:3]))
        assert marker["requirements_hash"] and marker["created_at"]
        assert marker["packages"]["tollama"] == __version__
        assert cli(daemon, "pull", "mock").returncode == 0
        final = forecast_lines(daemon)[-1]
        assert final["done"] and final["forecasts"][0]["mean"] == [2.0, 2.0]
        runner = runner_info(daemon)
        assert runner["python"] == str(venv_python(tollama_home))
        assert runner["command"] == [str(venv_python(tollama_home)), "-m", "tollama.runners.mock.main"]
        listed = json.loads(cli(daemon, "runtime", "list", "--json").stdout)
        mock = next(r for r in listed["runtimes"] if r["family"] == "mock")
        assert mock["status"] == "ready" and mock["uses_runtime"]
        assert mock["python"] == str(venv_python(tollama_home)) and mock["size_bytes"] > 0
        assert mock["tollama_version"] == __version__
    assert not list(family_dir(tollama_home).glob(".build-*"))


def test_a_second_daemon_reuses_the_runtime_without_rebuilding(tollama_home: Path) -> None:
    with DaemonProcess(tollama_home) as daemon:
        install_mock(daemon)
    before = marker_path(tollama_home).read_text(), marker_path(tollama_home).stat().st_mtime_ns
    forget_log(tollama_home)
    with DaemonProcess(tollama_home) as daemon:
        lines = forecast_lines(daemon)
        assert lines[-1]["done"]
        assert not [line for line in lines if "bootstrapping" in str(line.get("status"))]
        assert runner_info(daemon)["python"] == str(venv_python(tollama_home))
        assert builds_logged(daemon) == 0
    assert (marker_path(tollama_home).read_text(), marker_path(tollama_home).stat().st_mtime_ns) == before


def test_a_changed_marker_rebuilds_the_runtime_and_restarts_its_runner(tollama_home: Path) -> None:
    with DaemonProcess(tollama_home) as daemon:
        install_mock(daemon)
        assert forecast_lines(daemon)[-1]["done"]
        first_pid = runner_info(daemon)["pid"]
        marker = read_marker(tollama_home)
        marker_path(tollama_home).write_text(json.dumps({**marker, "tollama_version": "0.0.1"}))
        assert json.loads(cli(daemon, "runtime", "list", "--json").stdout)["runtimes"][0]["status"] == "stale"
        lines = forecast_lines(daemon)
        statuses = [str(line.get("status")) for line in lines]
        assert "bootstrapping mock runtime: creating venv" in " ".join(statuses)
        assert lines[-1]["done"], lines[-1]
        assert read_marker(tollama_home)["tollama_version"] == __version__
        runner = runner_info(daemon)
        assert runner["pid"] != first_pid and runner["restarts"] == 1
        assert runner["python"] == str(venv_python(tollama_home))


def test_a_bootstrap_killed_half_way_leaves_no_runtime(tollama_home: Path, wheel_server: BlockingWheelServer) -> None:
    daemon = DaemonProcess(tollama_home, env=extra_steps(wheel_server.requirement))
    with daemon:
        body = {"family": "mock", "stream": True}
        with httpx.stream(
            "POST", f"{daemon.base_url}/api/runtimes/install", json=body, timeout=300, trust_env=False
        ) as response:
            for line in response.iter_lines():
                if f"installing {BLOCKER}" in line:
                    break
            assert wheel_server.requested.wait(120), "the installer never asked for the blocking wheel"
            assert daemon.process is not None
            daemon.process.kill()  # SIGKILL: no clean-up code runs in the daemon
            daemon.process.wait(30)
    runtimes = tollama_home / "runtimes"
    assert not (family_dir(tollama_home) / "venv").exists()
    assert not list(runtimes.rglob("tollama-runtime.json"))
    assert list(family_dir(tollama_home).glob(".build-*")), "the unfinished build folder is expected"
    wheel_server.release()
    forget_log(tollama_home)
    with DaemonProcess(tollama_home) as daemon:
        listed = json.loads(cli(daemon, "runtime", "list", "--json").stdout)
        assert next(r for r in listed["runtimes"] if r["family"] == "mock")["status"] == "not installed"
        install_mock(daemon)
        assert "removed 1 unfinished mock runtime build" in daemon.log()
        assert forecast_lines(daemon)[-1]["done"]
        assert runner_info(daemon)["python"] == str(venv_python(tollama_home))
    assert not list(family_dir(tollama_home).glob(".build-*"))
    assert BLOCKER not in read_marker(tollama_home)["packages"]


def test_a_daemon_stopped_during_a_bootstrap_cleans_its_build(
    tollama_home: Path, wheel_server: BlockingWheelServer
) -> None:
    daemon = DaemonProcess(tollama_home, env=extra_steps(wheel_server.requirement))
    with daemon:
        body = {"family": "mock", "stream": True}
        with httpx.stream(
            "POST", f"{daemon.base_url}/api/runtimes/install", json=body, timeout=300, trust_env=False
        ) as response:
            for line in response.iter_lines():
                if f"installing {BLOCKER}" in line:
                    break
        assert wheel_server.requested.wait(120)
        daemon.stop()  # SIGTERM: the lifespan cancels the build
        assert "Application shutdown complete" in daemon.log()
    assert not family_dir(tollama_home).joinpath("venv").exists()
    assert not list(family_dir(tollama_home).glob(".build-*"))


def test_concurrent_first_uses_share_one_build(tollama_home: Path, wheel_server: BlockingWheelServer) -> None:
    with DaemonProcess(tollama_home) as daemon:
        install_mock(daemon)
    clients = 3
    seen_build = [threading.Event() for _ in range(clients)]
    results: list[list[dict[str, Any]]] = [[] for _ in range(clients)]

    def forecast(index: int) -> None:
        body = {**MOCK_REQUEST, "stream": True}
        with httpx.stream("POST", f"{daemon.base_url}/api/forecast", json=body, timeout=300, trust_env=False) as r:
            for line in r.iter_lines():
                if line.strip():
                    results[index].append(json.loads(line))
                    if f"installing {BLOCKER}" in line:
                        seen_build[index].set()

    forget_log(tollama_home)
    with DaemonProcess(tollama_home, env=extra_steps(wheel_server.requirement)) as daemon:
        threads = [threading.Thread(target=forecast, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        # Every client is waiting on the build before the build may finish.
        for event in seen_build:
            assert event.wait(120), "a client never saw the build's progress"
        assert wheel_server.requested.wait(120)
        wheel_server.release()
        for thread in threads:
            thread.join(120)
        assert all(lines and lines[-1].get("done") for lines in results), results
        assert builds_logged(daemon) == 1
        assert BLOCKER in read_marker(tollama_home)["packages"]
        assert runner_info(daemon)["python"] == str(venv_python(tollama_home))


def test_an_impossible_requirement_reaches_the_client_with_the_installers_last_lines(tollama_home: Path) -> None:
    impossible = "tollama-nonexistent-package==99"
    with DaemonProcess(tollama_home) as daemon:
        install_mock(daemon)
    with DaemonProcess(tollama_home, env=extra_steps(impossible)) as daemon:
        installed = cli(daemon, "runtime", "install", "mock")
        assert installed.returncode == 10
        error = " ".join(installed.stderr.split())  # rich wraps long lines at the terminal width
        assert "Error: could not build the mock runtime: installing tollama-nonexistent-package==99 failed" in error
        assert "tollama-nonexistent-package" in error.split("failed", 1)[1]  # the installer's own words
        assert error.endswith("runtime-mock.log)")
        assert "Traceback" not in installed.stderr
        # A pull starts the rebuild in the background and succeeds; the forecast then reports it.
        pulled = cli(daemon, "pull", "mock")
        assert pulled.returncode == 0, pulled.stderr
        # The same error on the forecast path: as a last stream line, and as a plain 503.
        last = forecast_lines(daemon)[-1]
        assert last["status"] == 503 and "could not build the mock runtime" in last["error"]
        plain = httpx.post(f"{daemon.base_url}/v1/forecast", json=MOCK_REQUEST, timeout=300, trust_env=False)
        assert plain.status_code == 503 and "tollama-nonexistent-package" in plain.json()["error"]
        listed = json.loads(cli(daemon, "runtime", "list", "--json").stdout)
        mock = next(r for r in listed["runtimes"] if r["family"] == "mock")
        assert mock["status"] == "stale" and "the last rebuild failed" in mock["detail"]
    assert read_marker(tollama_home)["tollama_version"] == __version__  # the old runtime was left as it was
    assert not list(family_dir(tollama_home).glob(".build-*"))


def test_removing_a_runtime_stops_its_runner_and_falls_back_to_the_daemon_interpreter(tollama_home: Path) -> None:
    with DaemonProcess(tollama_home) as daemon:
        install_mock(daemon)
        assert forecast_lines(daemon)[-1]["done"]
        pid = runner_info(daemon)["pid"]
        removed = cli(daemon, "runtime", "rm", "mock")
        assert removed.returncode == 0 and "removed the mock runtime" in removed.stdout
        assert not family_dir(tollama_home).exists()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the runner was stopped (and reaped) with its runtime
        assert forecast_lines(daemon)[-1]["done"]
        assert runner_info(daemon)["python"] == sys.executable


def test_single_env_mode_runs_every_runner_with_the_daemon_interpreter(tollama_home: Path) -> None:
    with DaemonProcess(tollama_home) as daemon:
        install_mock(daemon)
        assert forecast_lines(daemon)[-1]["done"]
        assert runner_info(daemon)["python"] == str(venv_python(tollama_home))
        assert cli(daemon, "config", "set", "daemon.auto_bootstrap", "false").returncode == 0
        assert forecast_lines(daemon)[-1]["done"]
        runner = runner_info(daemon)
        assert runner["python"] == sys.executable and runner["restarts"] == 1
        listed = json.loads(cli(daemon, "runtime", "list", "--json").stdout)
        torch = next(r for r in listed["runtimes"] if r["family"] == "torch")
        assert not torch["uses_runtime"] and torch["python"] == sys.executable


def test_pip_builds_the_runtime_when_uv_is_not_used(tollama_home: Path) -> None:
    with DaemonProcess(tollama_home, env={"TOLLAMA_RUNTIME_INSTALLER": "pip"}) as daemon:
        install_mock(daemon)
        assert read_marker(tollama_home)["installer"].startswith("pip ")
        assert forecast_lines(daemon)[-1]["done"]
        assert runner_info(daemon)["python"] == str(venv_python(tollama_home))


def test_a_pull_starts_the_runtime_build_and_the_first_forecast_joins_it(tollama_home: Path) -> None:
    with DaemonProcess(tollama_home) as daemon:
        install_mock(daemon)
    marker = read_marker(tollama_home)
    marker_path(tollama_home).write_text(json.dumps({**marker, "requirements_hash": "0"}))
    forget_log(tollama_home)
    with DaemonProcess(tollama_home) as daemon:
        pulled = cli(daemon, "pull", "mock")
        assert pulled.returncode == 0, pulled.stderr
        assert "a pull started the mock runtime build in the background" in daemon.log()
        assert forecast_lines(daemon)[-1]["done"]  # joins the build if it still runs, else finds it done
        assert builds_logged(daemon) == 1
        assert runner_info(daemon)["python"] == str(venv_python(tollama_home))
    assert read_marker(tollama_home)["requirements_hash"] == marker["requirements_hash"]


def test_homes_share_built_runtimes_through_tollama_runtimes_dir(tmp_path: Path) -> None:
    shared = tmp_path / "shared-runtimes"
    env = {"TOLLAMA_RUNTIMES_DIR": str(shared)}
    with DaemonProcess(tmp_path / "home-a", env=env) as daemon:
        install_mock(daemon)
    python = shared / "mock" / "venv" / "bin" / "python"
    with DaemonProcess(tmp_path / "home-b", env=env) as daemon:
        assert cli(daemon, "pull", "mock").returncode == 0
        assert forecast_lines(daemon)[-1]["done"]
        assert runner_info(daemon)["python"] == str(python)
        assert builds_logged(daemon) == 0
    assert not (tmp_path / "home-a" / "runtimes").exists()
    assert not (tmp_path / "home-b" / "runtimes").exists()
