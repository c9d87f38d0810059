"""Which interpreter runs a family, status, and the fast refusals (no build happens here)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tollama.core.errors import InvalidRequest, RunnerUnavailable
from tollama.daemon.runtimes import RECIPES, Recipe, RuntimeManager, step
from tollama.daemon.runtimes.store import MARKER_NAME


def manager(tmp_path: Path, auto: bool = True, recipes: dict[str, Recipe] | None = None) -> RuntimeManager:
    return RuntimeManager(tmp_path / "runtimes", tmp_path / "logs", lambda: auto, recipes=recipes)


def fake_runtime(tmp_path: Path, family: str, marker: str) -> Path:
    venv = tmp_path / "runtimes" / family / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / MARKER_NAME).write_text(marker)
    return venv


def test_heavy_families_use_their_runtime_and_light_ones_the_daemon_interpreter(tmp_path: Path) -> None:
    runtimes = manager(tmp_path)
    venv_python = tmp_path / "runtimes" / "torch" / "venv" / "bin" / "python"
    assert runtimes.command_for("torch") == [str(venv_python), "-m", "tollama.runners.torch.main"]
    assert runtimes.command_for("mock") == [sys.executable, "-m", "tollama.runners.mock.main"]
    assert runtimes.describe("torch").status == "not installed" and runtimes.describe("torch").uses_runtime


def test_single_env_mode_runs_every_family_with_the_daemon_interpreter(tmp_path: Path) -> None:
    fake_runtime(tmp_path, "mock", "{}")
    runtimes = manager(tmp_path, auto=False)
    for family in RECIPES:
        assert runtimes.command_for(family)[0] == sys.executable


def test_an_installed_light_runtime_is_used_and_a_rebuild_changes_the_identity(tmp_path: Path) -> None:
    venv = fake_runtime(tmp_path, "mock", "{}")
    runtimes = manager(tmp_path)
    assert runtimes.command_for("mock")[0] == str(venv / "bin" / "python")
    before = runtimes.identity("mock")
    (venv / MARKER_NAME).unlink()
    (venv / MARKER_NAME).write_text("{}")
    assert runtimes.identity("mock") != before


def test_an_unreadable_marker_is_no_runtime(tmp_path: Path) -> None:
    fake_runtime(tmp_path, "mock", "not json")
    assert manager(tmp_path).describe("mock").status == "not installed"


def test_a_marker_from_another_version_is_stale_with_the_reason(tmp_path: Path) -> None:
    marker = '{"family": "mock", "tollama_version": "0.0.1", "python_version": "3.11.0", "requirements_hash": "x"}'
    fake_runtime(tmp_path, "mock", marker)
    info = manager(tmp_path).describe("mock")
    assert info.status == "stale"
    assert info.detail is not None and "built for tollama 0.0.1" in info.detail


def test_unknown_families_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="unknown runner family 'tourch'"):
        manager(tmp_path).describe("tourch")


def test_a_family_this_tollama_has_no_runner_for_fails_before_installing_anything(tmp_path: Path) -> None:
    runtimes = manager(tmp_path, recipes={"nosuch": Recipe("nosuch", None, (step("tollama"),))})

    async def install() -> None:
        async for _ in runtimes.install("nosuch"):
            pass

    with pytest.raises(RunnerUnavailable, match=r"no nosuch runner \(tollama.runners.nosuch.main\)"):
        asyncio.run(install())
    assert not (tmp_path / "runtimes" / "nosuch").exists()
    assert runtimes.describe("nosuch").status == "failed"
