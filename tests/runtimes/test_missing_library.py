"""Single-env mode: a family whose library is missing answers with the extra to install."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tollama.core.errors import RunnerUnavailable
from tollama.core.registry import get_spec
from tollama.daemon.runner_process import RunnerProcess
from tollama.runners.missing import missing_library_message

LAZY_RUNNER = (
    "import importlib\n"
    "from tollama.runners.loop import serve_lazy\n"
    "serve_lazy('torch', lambda: importlib.import_module('tollama_test_no_such_library').Adapter())\n"
)


def test_the_message_names_the_missing_module_and_the_extra() -> None:
    message = missing_library_message("toto", ModuleNotFoundError("No module named 'toto'", name="toto"))
    assert message.startswith("the toto runner cannot import toto: ")
    assert 'pip install "tollama[runner_toto]"' in message


def test_a_runner_without_its_library_starts_and_refuses_loads_with_a_clear_error(tmp_path: Path) -> None:
    manifest = {**get_spec("mock").model_dump(mode="json"), "family": "torch", "pulled_at": "2025-01-01T00:00:00"}

    async def scenario() -> None:
        runner = RunnerProcess("torch", [sys.executable, "-c", LAZY_RUNNER], {}, tmp_path / "runner.log")
        hello = await runner.start()
        try:
            assert hello["family"] == "torch"
            assert hello["missing_library"] == "tollama_test_no_such_library"
            with pytest.raises(RunnerUnavailable) as caught:
                await runner.call("load", {"model": manifest}, timeout=30)
            assert 'pip install "tollama[runner_torch]"' in caught.value.message
            assert "Traceback" not in caught.value.message
            assert runner.is_alive
        finally:
            await runner.stop()

    asyncio.run(scenario())
