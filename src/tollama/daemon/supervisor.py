"""The one owner of runner processes and loaded models (after Ollama's ``server/sched.go``).

Small state under one lock: a ``RunnerProcess`` per family and a ``LoadedModel`` per model with
a reference count and a keep-alive timer. Routes never see a process: they ask for a lease on a
model, forecast through it, and give it back. A dead runner is replaced on next use; a runner
that makes no progress on a request for the timeout (or overruns the optional total one) is
killed, so the next request gets a fresh one. With a loaded-model
cap, idle models are unloaded least recently used first (``findRunnerToUnload``); a family whose
runner keeps failing to start is paused (``StartBackoff``) instead of being spawned per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tollama.core.errors import ForecastTimeout, RunnerUnavailable, ServerBusy
from tollama.core.schemas import LoadedModelInfo, ModelManifest
from tollama.daemon.backoff import StartBackoff
from tollama.daemon.process_stats import compute_device, rss_bytes
from tollama.daemon.runner_process import OnProgress, RunnerProcess

logger = logging.getLogger("tollama.daemon")
SpawnFn = Callable[[str], Awaitable[RunnerProcess]]
RuntimeOf = Callable[[str], str]


@dataclass
class LoadedModel:
    name: str
    family: str
    runner: RunnerProcess
    loaded_at: datetime
    keep_alive: float
    snapshot: str | None = None  # what was loaded; a new pull of the model loads again
    ref_count: int = 0
    expires_at: datetime | None = None
    last_used: float = field(default_factory=time.monotonic)
    timer: asyncio.TimerHandle | None = None
    stop_when_idle: bool = False  # ``tollama stop`` while requests run: unload after the last one

    @property
    def is_usable(self) -> bool:
        return self.runner.is_alive


@dataclass
class Lease:
    """A model held loaded for the duration of one request."""

    model: LoadedModel
    load_duration: int
    supervisor: Supervisor

    @property
    def batches(self) -> bool:
        """Whether the model's runner merges concurrent requests (its ``hello`` says so)."""
        return bool(self.model.runner.hello.get("batching"))

    async def forecast(self, request: Any, on_progress: OnProgress | None = None) -> dict[str, Any]:
        """``request``: the request's JSON object, as a dict or a pre-serialised ``orjson.Fragment``.

        ``on_progress(completed, total)`` hears the runner's progress reports, if it sends any.
        """
        params = {"model": self.model.name, "request": request}
        return await self.supervisor.call(self.model, "forecast", params, on_progress)


class Supervisor:
    def __init__(
        self,
        spawn: SpawnFn,
        timeout: float,
        default_keep_alive: float,
        max_loaded: int = 0,
        backoff: StartBackoff | None = None,
        runtime_of: RuntimeOf | None = None,
        total_timeout: float | None = None,
    ) -> None:
        self._spawn = spawn
        # Names the runtime a family's runner should run from now; a runner started from
        # another one (rebuilt, removed, mode switched) is restarted instead of reused.
        self._runtime_of = runtime_of or (lambda family: "")
        self._runtime_ids: dict[str, str] = {}
        self.timeout = timeout  # seconds a runner may go without progress on a call
        self.total_timeout = total_timeout  # seconds a forecast may take in all (None: no bound)
        self.default_keep_alive = default_keep_alive
        self.max_loaded = max_loaded
        self.backoff = backoff or StartBackoff()
        self.evictions = 0
        self._room_lock = asyncio.Lock()
        self._idle = asyncio.Event()
        self._runners: dict[str, RunnerProcess] = {}
        self._loaded: dict[str, LoadedModel] = {}
        self._family_locks: dict[str, asyncio.Lock] = {}
        self._model_locks: dict[str, asyncio.Lock] = {}
        self.restarts: dict[str, int] = {}
        self._closed = False

    # --- public -----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lease(self, manifest: ModelManifest, keep_alive: float | None) -> AsyncIterator[Lease]:
        """Load (or reuse) a model, hold it for the block, then arm its keep-alive."""
        keep = self.default_keep_alive if keep_alive is None else keep_alive
        loaded, load_ns = await self._acquire(manifest, keep)
        try:
            yield Lease(loaded, load_ns, self)
        finally:
            self._release(loaded, keep)

    async def call(
        self, loaded: LoadedModel, method: str, params: dict[str, Any], on_progress: OnProgress | None = None
    ) -> Any:
        """One runner call with the per-request timeouts; a timed-out runner is replaced."""
        runner = loaded.runner
        total = self.total_timeout if method == "forecast" else None
        try:
            return await runner.call(method, params, timeout=self.timeout, total_timeout=total, on_progress=on_progress)
        except ForecastTimeout as exc:
            await runner.kill(reason=f"was restarted after a request timed out ({exc.message})")
            self._forget_runner(runner)
            raise
        except RunnerUnavailable:
            self._forget_runner(runner)
            raise

    async def unload(self, name: str) -> bool:
        """Unload a model now; returns whether it was loaded."""
        loaded = self._loaded.pop(name, None)
        if loaded is None:
            return False
        if loaded.timer:
            loaded.timer.cancel()
        if loaded.runner.is_alive:
            with contextlib.suppress(Exception):
                await loaded.runner.call("unload", {"model": name}, timeout=self.timeout)
        return True

    async def stop(self, name: str) -> None:
        """Unload now, or (requests in flight) when the last one ends, as ``ollama stop`` does."""
        loaded = self._loaded.get(name)
        if loaded is not None and loaded.ref_count > 0:
            loaded.stop_when_idle = True
            return
        await self.unload(name)

    def loaded_models(self) -> list[LoadedModelInfo]:
        """A snapshot of plain records for ``/api/ps``."""
        return [
            LoadedModelInfo(
                name=m.name,
                family=m.family,
                pid=m.runner.pid,
                loaded_at=m.loaded_at.isoformat(),
                expires_at=m.expires_at.isoformat() if m.expires_at else None,
                runtime=str(m.runner.hello.get("python") or m.runner.command[0]),
                rss_bytes=rss_bytes(m.runner.pid),
                device=compute_device(m.runner.pid),
            )
            for m in self._loaded.values()
            if m.is_usable
        ]

    def runner_statuses(self) -> list[dict[str, Any]]:
        return [
            {
                "family": family,
                "status": "running" if runner.is_alive else "exited",
                "pid": runner.pid,
                "python": runner.hello.get("python"),
                "command": runner.command,
                "restarts": self.restarts.get(family, 0),
                "last_stderr": runner.stderr_tail() or None,
            }
            for family, runner in sorted(self._runners.items())
        ] + [
            {"family": family, "status": "failed to start", "restarts": self.restarts.get(family, 0), "error": message}
            for family, message in sorted(self.backoff.failing().items())
            if family not in self._runners
        ]

    async def retire(self, family: str) -> None:
        """Stop the family's runner now (its runtime went away); the next use starts a new one."""
        async with self._family_locks.setdefault(family, asyncio.Lock()):
            runner = self._runners.pop(family, None)
            if runner is not None:
                self._forget_runner(runner)
                await runner.stop()

    def runner_pid(self, family: str) -> int | None:
        runner = self._runners.get(family)
        return runner.pid if runner and runner.is_alive else None

    async def close(self, reason: str | None = None) -> None:
        """Stop every runner (no orphans); called from the app lifespan.

        With a ``reason`` (the shutdown drain ran out), runners are killed at once and every
        request still in flight gets a 503 saying so.
        """
        self._closed = True
        for loaded in self._loaded.values():
            if loaded.timer:
                loaded.timer.cancel()
        self._loaded.clear()
        runners = list(self._runners.values())
        self._runners.clear()
        stops = (r.kill(reason=reason) if reason else r.stop() for r in runners)
        await asyncio.gather(*stops, return_exceptions=True)

    # --- internals --------------------------------------------------------------------------

    async def _runner(self, family: str) -> RunnerProcess:
        lock = self._family_locks.setdefault(family, asyncio.Lock())
        async with lock:
            runner = self._runners.get(family)
            if runner is not None and runner.is_alive and self._is_current(runner):
                return runner
            if self._closed:
                raise RunnerUnavailable("the daemon is shutting down")
            if runner is not None:
                self.restarts[family] = self.restarts.get(family, 0) + 1
                self._forget_runner(runner)
                if runner.is_alive:
                    logger.info("restarting the %s runner: its runtime changed", family)
                    await runner.stop()
                else:
                    await runner.kill()
                del self._runners[family]
            self.backoff.check(family)
            runtime_id = self._runtime_of(family)
            try:
                runner = await self._spawn(family)
            except RunnerUnavailable as exc:
                self.backoff.failed(family, exc.message)
                raise
            self._runners[family] = runner
            self._runtime_ids[family] = runtime_id
            return runner

    async def _acquire(self, manifest: ModelManifest, keep_alive: float) -> tuple[LoadedModel, int]:
        lock = self._model_locks.setdefault(manifest.name, asyncio.Lock())
        async with lock:
            loaded = self._loaded.get(manifest.name)
            load_ns = 0
            stale = loaded is not None and loaded.snapshot != _snapshot_of(manifest)
            if loaded is None or stale or not loaded.is_usable or not self._is_current(loaded.runner):
                async with self._room_for(manifest.name):
                    loaded, load_ns = await self._load(manifest, keep_alive)
            loaded.ref_count += 1
            loaded.last_used = time.monotonic()
            if loaded.timer:
                loaded.timer.cancel()
                loaded.timer = None
            loaded.expires_at = None
            return loaded, load_ns

    async def _load(self, manifest: ModelManifest, keep_alive: float) -> tuple[LoadedModel, int]:
        runner = await self._runner(manifest.family)
        loaded = LoadedModel(
            manifest.name, manifest.family, runner, datetime.now(UTC), keep_alive, snapshot=_snapshot_of(manifest)
        )
        try:
            result = await self.call(loaded, "load", {"model": manifest.model_dump(mode="json")})
        except RunnerUnavailable as exc:
            self.backoff.failed(manifest.family, exc.message)  # died while loading: a start failure too
            raise
        self.backoff.succeeded(manifest.family)
        self._loaded[manifest.name] = loaded
        return loaded, int((result or {}).get("load_duration", 0))

    @contextlib.asynccontextmanager
    async def _room_for(self, name: str) -> AsyncIterator[None]:
        """Hold the load lock with a free place under the cap, unloading idle models LRU first."""
        if not self.max_loaded:
            yield
            return
        async with self._room_lock:
            deadline = time.monotonic() + self.timeout
            while len([m for m in self._loaded.values() if m.name != name]) >= self.max_loaded:
                idle = [m for m in self._loaded.values() if m.ref_count == 0 and m.name != name]
                if idle:
                    victim = min(idle, key=lambda m: m.last_used)
                    logger.info("unloading %s (least recently used) to load %s", victim.name, name)
                    self.evictions += 1
                    await self.unload(victim.name)
                    continue
                self._idle.clear()  # no await since the check above: a release now sets it again
                try:
                    await asyncio.wait_for(self._idle.wait(), max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    raise ServerBusy(
                        f"{self.max_loaded} models are loaded and all busy (TOLLAMA_MAX_LOADED_MODELS); "
                        f"'{name}' cannot load now, retry later",
                        headers={"Retry-After": "5"},
                    ) from None
            yield

    def _release(self, loaded: LoadedModel, keep_alive: float) -> None:
        loaded.ref_count -= 1
        loaded.keep_alive = keep_alive = 0.0 if loaded.stop_when_idle else keep_alive
        loaded.last_used = time.monotonic()
        if loaded.ref_count == 0:
            self._idle.set()
        if loaded.ref_count > 0 or self._loaded.get(loaded.name) is not loaded:
            return
        if keep_alive < 0:
            loaded.expires_at = None
            return
        loaded.expires_at = datetime.now(UTC) + timedelta(seconds=keep_alive)
        loop = asyncio.get_running_loop()
        loaded.timer = loop.call_later(keep_alive, lambda: loop.create_task(self._expire(loaded)))

    async def _expire(self, loaded: LoadedModel) -> None:
        if self._loaded.get(loaded.name) is loaded and loaded.ref_count == 0:
            logger.info("keep_alive expired: unloading %s", loaded.name)
            await self.unload(loaded.name)

    def _is_current(self, runner: RunnerProcess) -> bool:
        family = runner.family
        return self._runners.get(family) is runner and self._runtime_ids.get(family) == self._runtime_of(family)

    def _forget_runner(self, runner: RunnerProcess) -> None:
        """Drop every loaded model that lived in ``runner`` (it is dead or about to be)."""
        for name, loaded in list(self._loaded.items()):
            if loaded.runner is runner:
                if loaded.timer:
                    loaded.timer.cancel()
                del self._loaded[name]


def _snapshot_of(manifest: ModelManifest) -> str | None:
    """Which files a manifest loads: a pull that resolved another commit changes it."""
    resolved = manifest.resolved
    return f"{resolved.commit_sha}@{resolved.snapshot_path}" if resolved.snapshot_path else None
