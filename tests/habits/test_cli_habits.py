"""The CLI as Ollama users and the upstream OpenClaw skill type it, against a real daemon.

The upstream skill passes ``--timeout`` (and ``--base-url``) to ``list``, ``show``, ``pull``,
``rm``, ``ps`` and ``info``; every verb must take both, with the exit codes of contract v2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tollama.cli.output import human_until
from tollama.client import Client
from tollama.testing.daemon import DaemonProcess, free_port, run_cli

pytestmark = pytest.mark.slow


def cli(*args: str, env: dict[str, str]):
    return run_cli(*args, env=env, timeout=180)


def test_upstream_skill_calls_with_every_flag_they_pass(daemon: DaemonProcess) -> None:
    env = {"TOLLAMA_BASE_URL": ""}
    url = ("--base-url", daemon.base_url)
    calls = [
        ("pull", "mock", "--no-stream", "--timeout", "120", *url),
        ("list", "--json", "--timeout", "10", *url),
        ("show", "mock", "--json", "--timeout", "10", *url),
        ("ps", "--json", "--timeout", "10", *url),
        ("info", "--remote", "--json", "--timeout", "10", *url),
        ("info", "--json", "--timeout", "10", *url),
        ("runtime", "list", "--json", "--timeout", "10", *url),
        ("rm", "mock", "--timeout", "10", *url),
    ]
    for args in calls:
        done = cli(*args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        if "--json" in args or "--no-stream" in args:
            assert isinstance(json.loads(done.stdout), dict), args
    assert "deleted 'mock'" in done.stdout
    version = cli("version", "--timeout", "5", *url, env=env)
    assert version.returncode == 0 and "tollama daemon version 0.1.0" in version.stdout


def test_exit_codes_with_the_new_flags(daemon: DaemonProcess, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    assert cli("list", "--json", "--timeout", "3", "--base-url", dead, env={}).returncode == 3
    assert cli("info", "--remote", "--timeout", "3", "--base-url", dead, env={}).returncode == 3
    assert cli("show", "mock", "--timeout", "5", "--base-url", daemon.base_url, env={}).returncode == 4
    zero = cli("list", "--timeout", "0", "--base-url", daemon.base_url, env={})
    assert zero.returncode == 2 and "--timeout" in zero.stderr
    slow = tmp_path / "slow.json"
    cli("pull", "mock", "--base-url", daemon.base_url, env={})
    request = {"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1.0]}], "options": {"delay_seconds": 5}}
    slow.write_text(json.dumps(request))
    timed_out = cli("run", "--input", str(slow), "--no-stream", "--timeout", "1", "--base-url", daemon.base_url, env={})
    assert timed_out.returncode == 6, timed_out.stderr


LOCAL_ONLY_VERBS = {"config", "key", "help"}  # they read and write files; no daemon involved


def test_every_verb_that_talks_to_the_daemon_takes_base_url_and_timeout() -> None:
    import typer

    from tollama.cli.main import app

    def verbs(command: Any, path: str) -> list[tuple[str, Any]]:
        if hasattr(command, "commands"):  # a group (typer 0.29 vendors click: no isinstance check)
            return [pair for name, sub in command.commands.items() for pair in verbs(sub, f"{path} {name}".strip())]
        return [(path, command)]

    root = typer.main.get_command(app)
    checked = [(p, c) for p, c in verbs(root, "") if p.split()[0] not in LOCAL_ONLY_VERBS]
    assert {"eval", "create", "batch", "run", "pull", "serve"} <= {p for p, _ in checked}
    for path, command in checked:
        flags = {opt for param in command.params for opt in param.opts}
        assert {"--base-url", "--timeout"} <= flags, path


@pytest.mark.parametrize("verb", [("eval", "mock", "--horizon", "2", "--csv"), ("create", "e", "--ensemble", "a,b")])
def test_eval_and_create_take_timeout_too(verb: tuple[str, ...], tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text("unique_id,ds,y\ns,1,1\ns,2,2\ns,3,3\n")
    args = (*verb, str(csv)) if verb[0] == "eval" else verb
    dead = f"http://127.0.0.1:{free_port()}"
    done = run_cli(*args, "--timeout", "3", "--base-url", dead, env={"TOLLAMA_NO_AUTOSTART": "1"})
    assert done.returncode == 3 and "cannot reach the tollama daemon" in done.stderr, done.stderr


def test_tollama_host_alone_reaches_the_daemon_and_run_reuses_it(daemon: DaemonProcess) -> None:
    port = daemon.base_url.rsplit(":", 1)[1]
    env = {"TOLLAMA_BASE_URL": "", "TOLLAMA_HOST": f"0.0.0.0:{port}", "TOLLAMA_NO_AUTOSTART": ""}
    assert cli("pull", "mock", env=env).returncode == 0
    listed = cli("list", "--json", env=env)
    assert listed.returncode == 0 and [m["name"] for m in json.loads(listed.stdout)["models"]] == ["mock"]
    request = json.dumps({"horizon": 1, "series": [{"id": "s", "target": [1.0, 2.0]}]})
    ran = run_cli("run", "mock", "--no-stream", "--json", env=env, input_text=request)
    assert ran.returncode == 0, ran.stderr
    assert "Started tollama daemon" not in ran.stderr  # no second daemon


def test_run_autostarts_on_tollama_host_port_and_serve_stop_stops_it(tollama_home: Path) -> None:
    port = free_port()
    env = {"TOLLAMA_BASE_URL": "", "TOLLAMA_HOST": f":{port}", "TOLLAMA_NO_AUTOSTART": ""}
    request = json.dumps({"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1.0, 2.0]}]})
    try:
        ran = run_cli("run", "--no-stream", "--json", env=env, input_text=request)
        assert ran.returncode == 0, ran.stderr
        assert f"Started tollama daemon at http://127.0.0.1:{port}" in ran.stderr
    finally:
        stopped = cli("serve", "--stop", env=env)
    assert stopped.returncode == 0 and f"127.0.0.1:{port}" in stopped.stdout
    assert "stopped" in stopped.stdout.splitlines()[-1]  # it returns once the daemon no longer answers
    after = cli("list", "--timeout", "5", env={**env, "TOLLAMA_NO_AUTOSTART": "1"})
    assert after.returncode == 3, "the daemon should be gone"


def test_stop_unloads_and_reports(daemon: DaemonProcess) -> None:
    env = daemon.cli_env()
    with Client(base_url=daemon.base_url) as client:
        client.pull("mock")
        client.forecast({"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1.0]}], "keep_alive": -1})
    ps = cli("ps", env=env)
    assert ps.returncode == 0 and ps.stdout.split()[:7] == ["NAME", "FAMILY", "PID", "RSS", "DEVICE", "LOADED", "UNTIL"]
    assert "MB" in ps.stdout and "CPU" in ps.stdout and "Forever" in ps.stdout
    assert cli("stop", "mock", env=env).stdout.strip() == "stopped 'mock'"
    assert cli("stop", "mock", env=env).stdout.strip() == "'mock' was not loaded"
    assert cli("stop", "--all", env=env).stdout.strip() == "no model is loaded"
    assert json.loads(cli("ps", "--json", env=env).stdout) == {"models": []}
    assert cli("stop", env=env).returncode == 2
    assert cli("stop", "mock", "--all", env=env).returncode == 2
    assert cli("stop", "no-such-model", env=env).returncode == 4


def test_version_help_and_completion_flags() -> None:
    for flag in ("--version", "-v"):
        done = run_cli(flag)
        assert (done.returncode, done.stdout) == (0, "tollama version 0.1.0\n")
    short = run_cli("-h")
    assert short.returncode == 0 and "Usage: tollama" in short.stdout and "--install-completion" in short.stdout
    assert run_cli("help").stdout == short.stdout
    assert "Usage: tollama stop" in run_cli("help", "stop").stdout
    assert "Usage: tollama config set" in run_cli("help", "config", "set").stdout
    assert run_cli("help", "nope").returncode == 2
    script = Path(sys.executable).with_name("tollama")  # completion is keyed to the console script's name
    completion = subprocess.run([script, "--show-completion", "bash"], capture_output=True, text=True, timeout=60)
    assert completion.returncode == 0 and "_TOLLAMA_COMPLETE=complete_bash" in completion.stdout


def test_run_csv_with_future_covariates(daemon: DaemonProcess, tmp_path: Path) -> None:
    env = daemon.cli_env()
    cli("pull", "mock", env=env)
    history = tmp_path / "history.csv"
    history.write_text("ds,y,promo\n2025-01-01,1,0\n2025-01-02,2,1\n2025-01-03,3,0\n")
    future = tmp_path / "future.csv"
    future.write_text("ds,promo\n2025-01-04,1\n2025-01-05,0\n")
    ran = cli("run", "mock", "--csv", str(history), "--future", str(future), "--no-stream", "--json", env=env)
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["forecasts"][0]["timestamps"] == ["2025-01-04", "2025-01-05"]  # horizon from the future rows
    assert any("known-future" in w for w in answer["warnings"])  # sent as a future covariate, not past-only
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("ds,promo\n2025-01-09,1\n2025-01-10,0\n")
    bad = cli("run", "mock", "--csv", str(history), "--future", str(wrong), env=env)
    assert bad.returncode == 2 and "2025-01-04" in bad.stderr
    alone = cli("run", "mock", "--future", str(future), env=env)
    assert alone.returncode == 2 and "--csv" in alone.stderr


def test_config_default_model_must_be_a_registry_name(tollama_home: Path) -> None:
    refused = run_cli("config", "set", "default_model", "chronos")
    assert refused.returncode == 2 and "did you mean 'chronos2'" in refused.stderr
    assert run_cli("config", "set", "default_model", "auto-arima").returncode == 0
    assert run_cli("config", "get", "default_model").stdout.strip() == "auto-arima"


def test_human_until_reads_as_ollama() -> None:
    now = datetime.now(UTC)
    assert human_until((now + timedelta(seconds=90)).isoformat()) == "in 1 minute"
    assert human_until((now + timedelta(minutes=4, seconds=30)).isoformat()) == "in 4 minutes"
    assert human_until((now + timedelta(hours=2, seconds=5)).isoformat()) == "in 2 hours"
    assert human_until((now + timedelta(seconds=30)).isoformat()) in ("in 30 seconds", "in 29 seconds")
    assert human_until(None) == "Forever"
