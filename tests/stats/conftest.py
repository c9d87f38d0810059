"""One real daemon with every stats model pulled, shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tollama import Client
from tollama.testing.daemon import DaemonProcess

STATS_MODELS = ("auto-ets", "auto-arima", "auto-theta", "seasonal-naive", "stats-ensemble")


@pytest.fixture(scope="module")
def stats_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    home: Path = tmp_path_factory.mktemp("tollama-home")
    with DaemonProcess(home, env={"TOLLAMA_API_KEYS": "", "TOLLAMA_API_KEY": ""}) as running:
        with Client(base_url=running.base_url) as client:
            for model in STATS_MODELS:
                client.pull(model)
        yield running


@pytest.fixture
def client(stats_daemon: DaemonProcess) -> Iterator[Client]:
    with Client(base_url=stats_daemon.base_url, timeout=120) as bound:
        yield bound
