"""One real daemon (mock pulled) shared by a module's client tests, and clients bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tollama import Client
from tollama.testing.daemon import DaemonProcess


@pytest.fixture(scope="module")
def mock_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    home: Path = tmp_path_factory.mktemp("tollama-home")
    with DaemonProcess(home) as running:
        with Client(base_url=running.base_url) as client:
            client.pull("mock")
        yield running


@pytest.fixture
def client(mock_daemon: DaemonProcess) -> Iterator[Client]:
    with Client(base_url=mock_daemon.base_url, timeout=60) as bound:
        yield bound
