"""Fixtures for runtime tests (helpers live in ``runtime_helpers.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from runtime_helpers import BlockingWheelServer


@pytest.fixture(autouse=True)
def _own_runtimes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test builds in its own TOLLAMA_HOME, whatever the outer environment shares."""
    for name in ("TOLLAMA_RUNTIMES_DIR", "TOLLAMA_RUNTIME_EXTRA_STEPS", "TOLLAMA_RUNTIME_INSTALLER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def wheel_server() -> Iterator[BlockingWheelServer]:
    server = BlockingWheelServer()
    try:
        yield server
    finally:
        server.close()
