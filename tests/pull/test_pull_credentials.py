"""Tokens and proxies: applied per pull, mapped to clear errors, never stored or shown."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess, free_port, run_cli
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import publish_model, pull_events

pytestmark = pytest.mark.slow
GATED = "toto-open-base-1.0"
GATED_REPO = "Datadog/Toto-Open-Base-1.0"
GOOD = "hf_tollama_test_good_0123456789"
OTHER = "hf_tollama_test_other_0123456789"


@pytest.fixture
def gated_hub(hub: LocalHub) -> LocalHub:
    hub.tokens.update({GOOD, OTHER})
    publish_model(hub, GATED, gated=True, granted={GOOD})
    return hub


def pull_status(daemon: DaemonProcess, body: dict) -> tuple[int, str]:
    response = httpx.post(f"{daemon.base_url}/api/pull", json={**body, "stream": False}, timeout=120)
    return response.status_code, response.json().get("error", "")


def test_gated_repo_maps_401_and_403(gated_hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    status, message = pull_status(hub_daemon, {"model": GATED})
    assert status == 401
    assert "is gated" in message and "TOLLAMA_HF_TOKEN" in message
    status, message = pull_status(hub_daemon, {"model": GATED, "token": "hf_not_a_real_token"})
    assert status == 401
    assert "rejected the Hugging Face token" in message and "hf_not_a_real_token" not in message
    status, message = pull_status(hub_daemon, {"model": GATED, "token": OTHER})
    assert status == 403
    assert "no access" in message and OTHER not in message
    assert not (hub_daemon.home / "models" / GATED).exists()


def test_request_token_is_sent_to_the_hub_and_never_stored(
    gated_hub: LocalHub, hub_daemon: DaemonProcess, tollama_home: Path, hf_home: Path
) -> None:
    assert pull_status(hub_daemon, {"model": GATED, "token": GOOD}) == (200, "")
    assert {r.headers.get("authorization") for r in gated_hub.requests if "/resolve/" in r.path} == {f"Bearer {GOOD}"}
    assert_secret_nowhere(GOOD, tollama_home, hf_home, hub_daemon)
    # a later pull without the token does not inherit it from the first one
    assert pull_status(hub_daemon, {"model": GATED})[0] == 401


def test_env_token_is_used_and_only_its_presence_is_shown(
    gated_hub: LocalHub, tollama_home: Path, hf_home: Path, daemon_env: dict[str, str]
) -> None:
    with DaemonProcess(tollama_home, env={**daemon_env, "TOLLAMA_HF_TOKEN": GOOD}) as daemon:
        events = pull_events(daemon.base_url, {"model": GATED})
        assert events[-1]["status"] == "success"
        info = httpx.get(f"{daemon.base_url}/api/info")
        assert info.json()["env"]["TOLLAMA_HF_TOKEN_present"] is True
        assert info.json()["pull_defaults"]["token"] == {"value": "***", "source": "env"}
        assert GOOD not in info.text
        shown = run_cli("info", "--json", env=daemon.cli_env())
        assert shown.returncode == 0 and GOOD not in shown.stdout
        assert_secret_nowhere(GOOD, tollama_home, hf_home, daemon)


def test_proxy_applies_to_its_pull_only_and_its_password_is_redacted(
    hub: LocalHub, hub_daemon: DaemonProcess, tollama_home: Path, hf_home: Path
) -> None:
    publish_model(hub, "chronos-bolt-small")
    dead_proxy = f"http://tollama:pr0xy-s3cret@127.0.0.1:{free_port()}"
    refused = pull_status(hub_daemon, {"model": "chronos-bolt-small", "http_proxy": dead_proxy})
    assert refused[0] == 403 and "pull.allow_request_settings" in refused[1]  # not without the config's consent
    allow = ("config", "set", "pull.allow_request_settings", "true")
    assert run_cli(*allow, env=hub_daemon.cli_env()).returncode == 0
    status, message = pull_status(hub_daemon, {"model": "chronos-bolt-small", "http_proxy": dead_proxy})
    assert status == 500
    assert f"via proxy http://***:***@127.0.0.1:{dead_proxy.rsplit(':', 1)[1]}" in message
    assert "pr0xy-s3cret" not in message
    assert hub.requests == []  # nothing went around the proxy
    bypass = {"model": "chronos-bolt-small", "http_proxy": dead_proxy, "no_proxy": "127.0.0.1"}
    assert pull_status(hub_daemon, bypass) == (200, "")
    assert pull_status(hub_daemon, {"model": "chronos-bolt-small"}) == (200, "")  # no leak into the next pull
    assert_secret_nowhere("pr0xy-s3cret", tollama_home, hf_home, hub_daemon)


def test_config_proxy_is_a_default_shown_redacted(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, "chronos-bolt-small")
    dead_proxy = f"http://tollama:pr0xy-s3cret@127.0.0.1:{free_port()}"
    assert run_cli("config", "set", "pull.http_proxy", dead_proxy, env=hub_daemon.cli_env()).returncode == 0
    info = httpx.get(f"{hub_daemon.base_url}/api/info").json()
    assert info["pull_defaults"]["http_proxy"]["source"] == "config"
    assert info["pull_defaults"]["http_proxy"]["value"].startswith("http://***:***@127.0.0.1:")
    assert pull_status(hub_daemon, {"model": "chronos-bolt-small"})[0] == 500
    allow = ("config", "set", "pull.allow_request_settings", "true")
    assert run_cli(*allow, env=hub_daemon.cli_env()).returncode == 0
    assert pull_status(hub_daemon, {"model": "chronos-bolt-small", "no_proxy": "127.0.0.1"}) == (200, "")


def assert_secret_nowhere(secret: str, tollama_home: Path, hf_home: Path, daemon: DaemonProcess) -> None:
    """Not in any file under TOLLAMA_HOME (manifests, config, logs) or the HF cache."""
    needle = secret.encode()
    for root in (tollama_home, hf_home):
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert needle not in path.read_bytes(), f"{secret!r} written to {path}"
    assert secret not in daemon.log()
