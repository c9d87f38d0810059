"""Shared fixtures: an isolated TOLLAMA_HOME and a real daemon on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess


@pytest.fixture
def tollama_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "tollama-home"
    monkeypatch.setenv("TOLLAMA_HOME", str(home))
    monkeypatch.setenv("TOLLAMA_NO_AUTOSTART", "1")
    for name in (
        "TOLLAMA_HOST",
        "TOLLAMA_BASE_URL",
        "TOLLAMA_HF_TOKEN",
        "HF_TOKEN",
        "TOLLAMA_API_KEY",
        "TOLLAMA_API_KEYS",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def daemon(tollama_home: Path) -> Iterator[DaemonProcess]:
    with DaemonProcess(tollama_home) as running:
        yield running


@pytest.fixture
def http(daemon: DaemonProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=daemon.base_url, timeout=60, trust_env=False) as client:
        yield client
