"""One runtime build: a fresh venv in a build folder, the recipe's steps, a check, the swap.

Progress goes to ``report`` as short phrases; the installer's full output goes to the family's
log. A failed step raises ``RunnerUnavailable`` carrying the installer's last lines. Whatever
happens, the build folder is removed; only a complete, checked runtime is renamed into place.
"""

from __future__ import annotations

import asyncio
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tollama import __version__
from tollama.core.errors import RunnerUnavailable
from tollama.daemon.runtimes.installer import Installer, InstallerFailed, run_logged
from tollama.daemon.runtimes.recipes import TOLLAMA, Recipe, render, requirements_hash
from tollama.daemon.runtimes.source import describe_source
from tollama.daemon.runtimes.store import RuntimeMarker, RuntimeStore, disk_usage, python_of

Report = Callable[[str], None]
PROBE_TIMEOUT_SECONDS = 120.0
# Runs inside the new runtime: is the family's runner there, and which packages got installed.
_PROBE = """
import importlib.metadata as m, importlib.util as u, json, sys
try:
    runner = u.find_spec(sys.argv[1]) is not None
except ImportError:
    runner = False
print(json.dumps({"runner": runner, "packages": {d.metadata["Name"]: d.version for d in m.distributions()}}))
"""


@dataclass(frozen=True)
class BuildPlan:
    """Everything that decides what a family's runtime contains (and so its marker)."""

    recipe: Recipe
    tollama_args: list[str]
    extra_requirements: list[str] = field(default_factory=list)

    @property
    def family(self) -> str:
        return self.recipe.family

    @property
    def requirements_hash(self) -> str:
        return requirements_hash(self.recipe, self.tollama_args, self.extra_requirements)

    def marker(self, **built: object) -> RuntimeMarker:
        return RuntimeMarker(
            family=self.family,
            tollama_version=__version__,
            python_version=platform.python_version(),
            requirements_hash=self.requirements_hash,
            extra=self.recipe.extra,
            steps=render(self.recipe, self.tollama_args),
            pins=list(self.recipe.pins),
            created_at=datetime.now(UTC).isoformat(),
            **built,  # type: ignore[arg-type]
        )

    def mismatch(self, marker: RuntimeMarker) -> str | None:
        """Why ``marker`` is not what this daemon would build now, or None when it is."""
        if marker.tollama_version != __version__:
            return f"built for tollama {marker.tollama_version}, daemon is {__version__}"
        if marker.python_version != platform.python_version():
            return f"built for Python {marker.python_version}, daemon runs {platform.python_version()}"
        if marker.requirements_hash != self.requirements_hash:
            return "its recipe changed"
        return None


async def build_runtime(
    plan: BuildPlan, store: RuntimeStore, installer: Installer, log_path: Path, report: Report
) -> RuntimeMarker:
    """Build ``plan`` and swap it into place; the caller holds the family's lock."""
    family = plan.family
    started = time.monotonic()
    build_dir = store.new_build_dir(family)
    try:
        venv = build_dir / "venv"
        constraints = _write_pins(build_dir, plan.recipe.pins)
        report(f"creating venv ({installer.label})")
        await _run(family, "creating the venv", installer.venv_command(venv, sys.executable), installer, log_path)
        python = python_of(venv)
        for step, args in zip(plan.recipe.all_steps, render(plan.recipe, plan.tollama_args), strict=True):
            what = _step_label(plan.recipe, step.args) or step.shown
            report(f"installing {what}")
            command = installer.install_command(python, args, constraints)
            await _run(family, f"installing {what}", command, installer, log_path)
        report("checking the runtime")
        packages = await _probe(family, python)
        size = await asyncio.to_thread(disk_usage, venv)
        marker = plan.marker(source=describe_source(), installer=installer.label, packages=packages, size_bytes=size)
        await asyncio.to_thread(store.install, family, venv, marker)
        report(f"ready ({size / 1e6:.0f} MB in {time.monotonic() - started:.0f}s)")
        return marker
    finally:
        await asyncio.to_thread(shutil.rmtree, build_dir, True)


def _write_pins(build_dir: Path, pins: tuple[str, ...]) -> Path | None:
    if not pins:
        return None
    path = build_dir / "constraints.txt"
    path.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return path


def _step_label(recipe: Recipe, args: tuple[str, ...]) -> str:
    if TOLLAMA not in args:
        return ""
    extra = f"[{recipe.extra}]" if recipe.extra else ""
    return f"tollama{extra} ({describe_source()})"


async def _run(family: str, what: str, command: list[str], installer: Installer, log_path: Path) -> None:
    try:
        await run_logged(command, log_path, installer.env)
    except InstallerFailed as exc:
        lines = " | ".join(_from_first_error(exc.tail)) or "no output"
        raise RunnerUnavailable(
            f"could not build the {family} runtime: {what} failed ({installer.name} exit {exc.exit_code}): "
            f"{lines} (full log: {log_path})"
        ) from None
    except OSError as exc:
        raise RunnerUnavailable(f"could not build the {family} runtime: {what} failed to start ({exc})") from None


def _from_first_error(tail: list[str]) -> list[str]:
    """The installer's last lines, starting at its first ``error:`` line when there is one."""
    first = next((i for i, line in enumerate(tail) if line.lower().startswith("error")), 0)
    return tail[first:]


async def _probe(family: str, python: Path) -> dict[str, str]:
    """Check the family's runner is importable from the runtime; return its package versions."""
    module = f"tollama.runners.{family}.main"
    proc = await asyncio.create_subprocess_exec(
        str(python), "-c", _PROBE, module, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), PROBE_TIMEOUT_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        out, err = b"", b"no answer in time"
    try:
        result = json.loads(out)
    except ValueError:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RunnerUnavailable(f"could not build the {family} runtime: its python does not run ({tail[0]})") from None
    if not result.get("runner"):
        raise RunnerUnavailable(
            f"could not build the {family} runtime: the tollama installed in it has no {family} runner ({module})"
        )
    return dict(result.get("packages", {}))
