"""A local hub serving fake checkpoints under real registry repo ids, and a daemon pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tollama.core.config import DaemonConfig, TollamaConfig, save_config
from tollama.testing.daemon import DaemonProcess
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import NEUTRAL_ENV


@pytest.fixture(autouse=True)
def no_runtime_builds(tollama_home: Path) -> None:
    """Pull tests test pulls: a pull must not start a family's runtime build in the background.

    Otherwise each pull of a heavy family starts a pip build beside the test, costing CI minutes
    and changing files under TOLLAMA_HOME while a test walks it.
    """
    tollama_home.mkdir(parents=True, exist_ok=True)
    save_config(tollama_home / "config.json", TollamaConfig(daemon=DaemonConfig(auto_bootstrap=False)))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub-root") as running:
        yield running


@pytest.fixture
def hf_home(tmp_path: Path) -> Path:
    return tmp_path / "hf-home"


@pytest.fixture
def daemon_env(hub: LocalHub, hf_home: Path) -> dict[str, str]:
    # HF_HUB_CACHE would override HF_HOME/hub; name it so a developer's own setting cannot leak in.
    return {**NEUTRAL_ENV, **hub.client_env(hf_home), "HF_HUB_CACHE": str(hf_home / "hub")}


@pytest.fixture
def hub_daemon(tollama_home: Path, daemon_env: dict[str, str]) -> Iterator[DaemonProcess]:
    with DaemonProcess(tollama_home, env=daemon_env) as running:
        yield running
