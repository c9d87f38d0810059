"""``RuntimeManager``: which interpreter runs each family, and building runtimes on demand.

With ``daemon.auto_bootstrap`` (the default) heavy families run from their own venv, built on
first use; light families (mock, stats) run in the daemon's interpreter unless their runtime was
installed explicitly. With it off, every family runs in the daemon's interpreter (single-env).

Concurrent first uses share one build (single flight in the daemon, a file lock across
processes); every waiter gets the build's progress as status events and, on failure, the same
error. The supervisor asks ``identity`` before reusing a runner, so a rebuilt or removed runtime
restarts its runner instead of serving from a stale one.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from filelock import AsyncFileLock, Timeout

from tollama.core.errors import InvalidRequest, RunnerUnavailable, ServerBusy
from tollama.core.schemas import RuntimeInfo
from tollama.daemon.runtimes.builder import BuildPlan, build_runtime
from tollama.daemon.runtimes.installer import choose_installer
from tollama.daemon.runtimes.recipes import RECIPES, Recipe, with_extra_steps
from tollama.daemon.runtimes.source import extra_requirements, tollama_requirement
from tollama.daemon.runtimes.store import RuntimeMarker, RuntimeStore
from tollama.daemon.settings import DaemonSettings

logger = logging.getLogger("tollama.daemon")
Event = dict[str, object]
PrepareRuntime = Callable[[str], AsyncIterator[Event]]
StartRuntime = Callable[[str], bool]


class _Build:
    """One build in flight: its task and the progress lines every waiter replays."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._wake = asyncio.Event()
        self.task: asyncio.Task[RuntimeMarker] | None = None

    def start(self, work: Callable[[_Build], Coroutine[Any, Any, RuntimeMarker]]) -> None:
        self.task = asyncio.create_task(work(self))
        self.task.add_done_callback(self._finished)

    def report(self, line: str) -> None:
        self.lines.append(line)
        self._notify()

    async def follow(self) -> AsyncIterator[str]:
        """Every line so far, then each new one until the build ends; then its outcome."""
        assert self.task is not None
        seen = 0
        while True:
            if seen < len(self.lines):
                seen += 1
                yield self.lines[seen - 1]
                continue
            if self.task.done():
                break
            await self._wake.wait()
        if self.task.cancelled():
            raise RunnerUnavailable("the runtime build was cancelled (the daemon is shutting down)")
        self.task.result()

    def _notify(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    def _finished(self, task: asyncio.Task[RuntimeMarker]) -> None:
        if not task.cancelled():
            task.exception()  # retrieved here, raised again to each waiter
        self._notify()


class RuntimeManager:
    def __init__(
        self,
        root: Path,
        logs: Path,
        auto_bootstrap: Callable[[], bool],
        recipes: dict[str, Recipe] | None = None,
        installer: str = "auto",
    ) -> None:
        self.store = RuntimeStore(root)
        self.logs = logs
        self.recipes = RECIPES if recipes is None else recipes
        self._auto_bootstrap = auto_bootstrap
        self._installer_preference = installer
        self._builds: dict[str, _Build] = {}
        self._failures: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: DaemonSettings) -> RuntimeManager:
        """The manager a daemon (or ``tollama runtime list`` without one) uses for ``settings``."""
        return cls(
            settings.paths.runtimes,
            settings.paths.logs,
            auto_bootstrap=lambda: settings.config().daemon.auto_bootstrap,
            recipes=with_extra_steps(RECIPES, settings.runtime_extra_steps),
            installer=settings.runtime_installer,
        )

    # --- what runs a family -----------------------------------------------------------------

    def uses_runtime(self, family: str) -> bool:
        """Whether the family's runner runs from its own venv rather than the daemon's interpreter."""
        recipe = self.recipes.get(family)
        if recipe is None or not self._auto_bootstrap():
            return False
        return recipe.auto or self.store.venv(family).exists()

    def command_for(self, family: str) -> list[str]:
        """The runner's command line: the runtime's python (or the daemon's), ``-m`` its module."""
        python = str(self.store.python(family)) if self.uses_runtime(family) else sys.executable
        return [python, "-m", f"tollama.runners.{family}.main"]

    def identity(self, family: str) -> str:
        """Changes when the family's runner should be restarted (runtime rebuilt, removed, mode)."""
        return f"{self.command_for(family)[0]}#{self.store.stamp(family)}"

    def plan(self, family: str) -> BuildPlan:
        recipe = self._recipe(family)
        return BuildPlan(recipe, tollama_requirement(recipe.extra), extra_requirements(recipe.extra))

    # --- building ---------------------------------------------------------------------------

    async def prepare(self, family: str) -> AsyncIterator[Event]:
        """Before a runner starts: build or rebuild its runtime if needed, streaming progress."""
        if not self.uses_runtime(family) or self._is_current(family):
            return
        async for event in self._build(family, force=False):
            yield event

    def prepare_in_background(self, family: str) -> bool:
        """After a pull: start the build the family's first forecast would need, without waiting.

        Returns whether a build runs. The forecast that comes next joins it (and its progress)
        if it is still running; ``tollama runtime list`` shows it as ``building``.
        """
        if not self.uses_runtime(family) or self._is_current(family):
            return False
        self._start_build(family, force=False)
        logger.info("a pull started the %s runtime build in the background", family)
        return True

    async def install(self, family: str, force: bool = False) -> AsyncIterator[Event]:
        """Explicit install (``tollama runtime install``): build unless up to date, or always."""
        self._recipe(family)
        if not force and self._is_current(family):
            yield {"status": f"{family} runtime is up to date", "done": False}
        else:
            async for event in self._build(family, force=force):
                yield event
        yield {"status": "success", "done": True, "runtime": self.describe(family).model_dump()}

    async def remove(self, family: str) -> bool:
        """Delete the family's runtime; returns whether there was one."""
        self._recipe(family)
        if family in self._builds:
            raise ServerBusy(f"the {family} runtime is being built; remove it when the build ends")
        async with self._lock(family):
            removed = await asyncio.to_thread(self.store.remove, family)
        self._failures.pop(family, None)
        return removed

    async def close(self) -> None:
        """Cancel builds in flight (their installers are killed, their build folders removed)."""
        tasks = [b.task for b in self._builds.values() if b.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- status -----------------------------------------------------------------------------

    def describe(self, family: str) -> RuntimeInfo:
        recipe = self._recipe(family)
        marker = self.store.read_marker(family)
        detail = None
        if family in self._builds:
            status = "building"
        elif marker is not None:
            detail = self.plan(family).mismatch(marker)
            status = "stale" if detail else "ready"
            if detail and family in self._failures:
                detail = f"{detail}; the last rebuild failed: {self._failures[family]}"
        elif family in self._failures:
            status, detail = "failed", self._failures[family]
        else:
            status = "not installed"
        info = RuntimeInfo(
            family=family,
            status=status,
            uses_runtime=self.uses_runtime(family),
            python=self.command_for(family)[0],
            path=str(self.store.venv(family)),
            bootstraps_on_first_use=recipe.auto,
            extra=recipe.extra,
            detail=detail,
        )
        if marker is not None:
            info = info.model_copy(
                update={
                    "extra": marker.extra,
                    "tollama_version": marker.tollama_version,
                    "python_version": marker.python_version,
                    "torch_version": marker.packages.get("torch"),
                    "installer": marker.installer,
                    "size_bytes": marker.size_bytes,
                    "created_at": marker.created_at,
                }
            )
        return info

    def describe_all(self) -> list[RuntimeInfo]:
        return [self.describe(family) for family in self.recipes]

    # --- internals --------------------------------------------------------------------------

    def _recipe(self, family: str) -> Recipe:
        recipe = self.recipes.get(family)
        if recipe is None:
            raise InvalidRequest(f"unknown runner family '{family}'; known families: {', '.join(self.recipes)}")
        return recipe

    def _is_current(self, family: str) -> bool:
        marker = self.store.read_marker(family)
        return marker is not None and self.plan(family).mismatch(marker) is None

    def _lock(self, family: str) -> AsyncFileLock:
        path = self.store.lock_path(family)
        path.parent.mkdir(parents=True, exist_ok=True)
        return AsyncFileLock(str(path), run_in_executor=False)

    def _start_build(self, family: str, force: bool) -> _Build:
        """The family's build in flight, or a new one (single flight)."""
        build = self._builds.get(family)
        if build is None:
            build = _Build()
            self._builds[family] = build
            build.start(lambda b: self._run_build(family, b, force))
        return build

    async def _build(self, family: str, force: bool) -> AsyncIterator[Event]:
        build = self._start_build(family, force)
        async for line in build.follow():
            yield {"status": f"bootstrapping {family} runtime: {line}", "done": False}

    async def _run_build(self, family: str, build: _Build, force: bool) -> RuntimeMarker:
        lock = self._lock(family)
        try:
            plan = self.plan(family)
            _check_runner_exists(family)
            try:
                await lock.acquire(blocking=False)
            except Timeout:
                build.report("waiting for another process that is building it")
                await lock.acquire()
            try:
                marker = await self._build_locked(plan, build, force)
            finally:
                await lock.release()
            self._failures.pop(family, None)
            return marker
        except OSError as exc:
            self._failures[family] = message = f"could not build the {family} runtime: {exc}"
            logger.error("%s", message)
            raise RunnerUnavailable(message) from exc
        except RunnerUnavailable as exc:
            self._failures[family] = exc.message
            logger.error("%s", exc.message)
            raise
        finally:
            if self._builds.get(family) is build:
                del self._builds[family]

    async def _build_locked(self, plan: BuildPlan, build: _Build, force: bool) -> RuntimeMarker:
        family = plan.family
        marker = self.store.read_marker(family)
        if marker is not None and not force and plan.mismatch(marker) is None:
            build.report("built by another process")
            return marker
        if leftovers := self.store.clean_leftovers(family):
            logger.info("removed %d unfinished %s runtime build(s)", len(leftovers), family)
        reason = (plan.mismatch(marker) or "forced") if marker else "not installed"
        logger.info("building the %s runtime (%s)", family, reason)
        installer = await asyncio.to_thread(choose_installer, self._installer_preference)
        marker = await build_runtime(plan, self.store, installer, self.logs / f"runtime-{family}.log", build.report)
        logger.info("built the %s runtime at %s", family, self.store.venv(family))
        return marker


def _check_runner_exists(family: str) -> None:
    """The runtime gets the daemon's own tollama: no runner here means none there (skip the GBs)."""
    module = f"tollama.runners.{family}.main"
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError as exc:  # no tollama.runners.<family> package at all, or its library
        found = not (exc.name or "").startswith("tollama.")
    except ImportError:
        found = True  # the family package needs its library to import; the build's check decides
    if not found:
        raise RunnerUnavailable(f"this tollama has no {family} runner ({module}); upgrade tollama")
