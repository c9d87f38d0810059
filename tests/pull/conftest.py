"""A local hub serving fake checkpoints under real registry repo ids, and a daemon pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tollama.testing.daemon import DaemonProcess
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import NEUTRAL_ENV


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
