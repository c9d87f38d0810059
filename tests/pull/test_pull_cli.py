"""``tollama pull`` as a user runs it: progress on stderr, exit codes from the error classes."""

from __future__ import annotations

import pytest

from tollama.testing.daemon import DaemonProcess, run_cli
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import publish_model

pytestmark = pytest.mark.slow
BOLT = "chronos-bolt-small"


def test_pull_draws_progress_and_installs(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, BOLT, {"config.json": "{}", "model.safetensors": b"\1" * 3_000_000})
    done = run_cli("pull", BOLT, env=hub_daemon.cli_env())
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "pulling manifest"
    bar = next(line for line in lines if line.startswith("pulling model.safetensors"))
    assert "3.0/3.0 MB" in bar
    assert lines[-3:] == ["verifying", "writing manifest", "success"]
    assert lines.index("verifying") > lines.index(bar)  # top to bottom as the pull went

    listed = run_cli("list", env=hub_daemon.cli_env())
    assert BOLT in listed.stdout and "3.0 MB" in listed.stdout
    shown = run_cli("show", BOLT, env=hub_daemon.cli_env())
    assert hub.commit_sha("amazon/chronos-bolt-small") in shown.stdout


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["pull", "moirai-2.0-R-small"], 5, "--accept-license"),
        (["pull", "no-such-model"], 4, "not in the registry"),
        (["pull", BOLT, "--offline"], 4, "pull it online first"),
        (["pull", "chronos-bolt-base"], 4, "was not found"),
    ],
)
def test_pull_failures_exit_with_their_codes(
    hub_daemon: DaemonProcess, args: list[str], code: int, fragment: str
) -> None:
    done = run_cli(*args, env=hub_daemon.cli_env())
    assert done.returncode == code, done.stderr
    assert "Error: " in done.stderr
    assert fragment in " ".join(done.stderr.split())  # rich wraps long lines


def test_gated_pull_needs_a_token(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    hub.tokens.add("hf_cli_token_0123456789")
    publish_model(hub, "toto-open-base-1.0", gated=True)
    refused = run_cli("pull", "toto-open-base-1.0", env=hub_daemon.cli_env())
    assert refused.returncode == 5
    assert "TOLLAMA_HF_TOKEN" in refused.stderr
    accepted = run_cli(
        "pull", "toto-open-base-1.0", env={**hub_daemon.cli_env(), "TOLLAMA_HF_TOKEN": "hf_cli_token_0123456789"}
    )
    assert accepted.returncode == 0, accepted.stderr
    assert "hf_cli_token_0123456789" not in accepted.stderr + accepted.stdout
