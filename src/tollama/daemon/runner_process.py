"""One runner child process: spawn, handshake, calls matched by id, stderr kept.

Only the supervisor uses this. A call either gets its frame, or an error naming why not: the
process died (with its last stderr lines) or the call timed out (the caller then kills it).

The timeout is a no-progress one: it restarts with each ``progress`` frame of the call (and,
until the call has started, with any frame of the runner, which is busy with the calls ahead
of it); an optional total timeout bounds the call whatever its progress. A call whose task is
cancelled (the client went away) sends the runner a ``cancel`` for it, which stops its work.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tollama.core.errors import ForecastTimeout, RunnerUnavailable
from tollama.core.protocol import ProtocolError, decode_frame, encode_frame, raise_for_frame, request_frame

logger = logging.getLogger("tollama.daemon")
STDERR_TAIL_LINES = 20
HELLO_TIMEOUT_SECONDS = 120.0
STOP_GRACE_SECONDS = 5.0
_LINE_LIMIT = 1 << 30  # large forecasts are one long line


def _has_exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it (asyncio's watcher does that)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


OnProgress = Callable[[int, int], None]


@dataclass
class _Watch:
    """What the reader tells a waiting call: the last sign of life, where progress goes."""

    on_progress: OnProgress | None = None
    last_seen: float = field(default_factory=time.monotonic)


def _unavailable(message: str, started: bool) -> RunnerUnavailable:
    error = RunnerUnavailable(message)
    error.request_started = started
    return error


class RunnerProcess:
    """A started runner; ``call`` is safe from many tasks at once."""

    def __init__(
        self,
        family: str,
        command: Sequence[str],
        env: dict[str, str],
        log_path: Path,
        hello_timeout: float = HELLO_TIMEOUT_SECONDS,
    ) -> None:
        self.family = family
        self.hello_timeout = hello_timeout
        self.command = list(command)
        self.env = env
        self.log_path = log_path
        self.hello: dict[str, Any] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._started: set[str] = set()
        self._watches: dict[str, _Watch] = {}
        self._last_frame = time.monotonic()  # any frame at all: the runner is alive and working
        self._ids = itertools.count(1)
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._tasks: list[asyncio.Task[None]] = []
        self._write_lock = asyncio.Lock()
        self._exit_reason: str | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def is_alive(self) -> bool:
        """Exact, not eventual: a runner killed a moment ago is already seen as dead."""
        proc = self._proc
        if proc is None or proc.returncode is not None or self._exit_reason is not None:
            return False
        return not _has_exited(proc.pid)

    def stderr_tail(self) -> str:
        return " | ".join(self._stderr_tail)

    async def start(self) -> dict[str, Any]:
        """Spawn the process and complete the ``hello`` handshake."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self.env,
                limit=_LINE_LIMIT,
                start_new_session=True,
            )
        except OSError as exc:
            raise RunnerUnavailable(f"cannot start the {self.family} runner ({exc})") from exc
        self._tasks = [
            asyncio.create_task(self._read_stdout(), name=f"{self.family}-stdout"),
            asyncio.create_task(self._read_stderr(), name=f"{self.family}-stderr"),
        ]
        try:
            self.hello = await self.call("hello", {}, timeout=self.hello_timeout)
        except ForecastTimeout as exc:
            await self.kill()
            tail = self.stderr_tail()
            message = f"the {self.family} runner did not answer hello within {self.hello_timeout:g}s"
            raise RunnerUnavailable(f"{message}; last stderr: {tail}" if tail else message) from exc
        return self.hello

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        timeout: float | None,
        total_timeout: float | None = None,
        on_progress: OnProgress | None = None,
    ) -> Any:
        """Send one request and wait for its answer (raising the error class it names).

        ``timeout``: seconds without progress; ``total_timeout``: seconds in all (None: no bound).
        """
        if not self.is_alive or self._proc is None or self._proc.stdin is None:
            await self._settle()
            raise _unavailable(self._death_message(), started=False)
        request_id = str(next(self._ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self._watches[request_id] = watch = _Watch(on_progress)
        try:
            async with self._write_lock:
                self._proc.stdin.write(encode_frame(request_frame(request_id, method, params)))
                await self._proc.stdin.drain()
        except (ConnectionError, RuntimeError) as exc:
            self._pending.pop(request_id, None)
            self._watches.pop(request_id, None)
            await self._settle()
            raise _unavailable(self._death_message(), started=False) from exc
        try:
            frame = await self._wait(request_id, future, watch, method, timeout, total_timeout)
        except asyncio.CancelledError:
            self._cancel(request_id)
            raise
        finally:
            self._pending.pop(request_id, None)
            self._watches.pop(request_id, None)
            self._started.discard(request_id)
        return raise_for_frame(frame)

    async def _wait(
        self,
        request_id: str,
        future: asyncio.Future[dict[str, Any]],
        watch: _Watch,
        method: str,
        timeout: float | None,
        total_timeout: float | None,
    ) -> dict[str, Any]:
        """The call's frame, or ``ForecastTimeout`` after ``timeout`` quiet or ``total_timeout`` in all."""
        started = time.monotonic()
        while True:
            now = time.monotonic()
            alive = watch.last_seen if request_id in self._started else max(watch.last_seen, self._last_frame)
            quiet_left = None if timeout is None else alive + timeout - now
            total_left = None if total_timeout is None else started + total_timeout - now
            if total_left is not None and total_left <= 0:
                raise ForecastTimeout(
                    f"the {self.family} runner did not finish '{method}' within {total_timeout:g}s in all "
                    "(TOLLAMA_FORECAST_TOTAL_TIMEOUT_SECONDS)"
                )
            if quiet_left is not None and quiet_left <= 0:
                raise ForecastTimeout(
                    f"the {self.family} runner did not answer '{method}' within {timeout:g}s "
                    "and reported no progress meanwhile (TOLLAMA_FORECAST_TIMEOUT_SECONDS)"
                )
            waits = [left for left in (quiet_left, total_left) if left is not None]
            try:
                return await asyncio.wait_for(asyncio.shield(future), min(waits) if waits else None)
            except TimeoutError:
                continue

    def _cancel(self, request_id: str) -> None:
        """Tell the runner to stop a request nobody waits for (best effort: it may be gone)."""
        proc = self._proc
        if proc is None or proc.stdin is None or not self.is_alive:
            return
        frame = request_frame(f"cancel-{request_id}", "cancel", {"id": request_id})
        with contextlib.suppress(Exception):  # one write, never interleaved: StreamWriter.write is synchronous
            proc.stdin.write(encode_frame(frame))

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Ask the runner to exit (closing stdin), then kill it after ``grace`` seconds."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            await self._finish("was stopped")
            return
        self._exit_reason = "was stopped"
        with contextlib.suppress(Exception):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            await self.kill()
        await self._finish("was stopped")

    async def kill(self, reason: str = "was killed") -> None:
        """SIGKILL the runner's whole process group and fail what is pending with ``reason``."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            if not _has_exited(proc.pid):  # one that died on its own is reported as it died
                self._exit_reason = self._exit_reason or reason
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # the whole group, children included
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        await self._settle()
        await self._finish("was killed")

    async def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stream = self._proc.stdout
        try:
            while line := await stream.readline():
                try:
                    frame = decode_frame(line)
                except ProtocolError as exc:
                    self._note_stderr(f"[stdout garbage] {exc}")
                    continue
                request_id = str(frame.get("id"))
                self._last_frame = now = time.monotonic()
                watch = self._watches.get(request_id)
                if watch is not None:
                    watch.last_seen = now
                if frame.get("started"):
                    self._started.add(request_id)
                    continue
                if "progress" in frame:
                    _report(watch, frame["progress"])
                    continue
                future = self._pending.get(request_id)
                if future is not None and not future.done():
                    future.set_result(frame)
        except (asyncio.LimitOverrunError, ValueError) as exc:
            self._note_stderr(f"[stdout unreadable] {exc}")
        await self._on_exit()

    async def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        with self.log_path.open("ab") as log:
            while line := await self._proc.stderr.readline():
                log.write(line)
                log.flush()
                text = line.decode("utf-8", "replace").rstrip()
                if text:
                    self._stderr_tail.append(text)

    async def _settle(self) -> None:
        """Let a runner that just died finish reporting (exit code, last stderr lines) first.

        A runner that exits at start-up is often dead before the ``hello`` is even written.
        """
        if self._tasks and self._exit_reason is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._tasks[0]), STOP_GRACE_SECONDS)

    def _note_stderr(self, text: str) -> None:
        self._stderr_tail.append(text)
        with contextlib.suppress(OSError), self.log_path.open("a", encoding="utf-8") as log:
            log.write(text + "\n")

    async def _on_exit(self) -> None:
        """stdout closed: the process is gone or going; fail every call still waiting."""
        if self._proc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._proc.wait(), 5)
        # Let the stderr reader catch the last lines before composing the message.
        if len(self._tasks) > 1:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._tasks[1]), 2)
        code = self._proc.returncode if self._proc else None
        self._exit_reason = self._exit_reason or f"exited with code {code}"
        self._fail_pending()

    async def _finish(self, reason: str) -> None:
        self._exit_reason = self._exit_reason or reason
        self._fail_pending()
        for task in self._tasks:
            if task is not asyncio.current_task():
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)

    def _fail_pending(self) -> None:
        message = self._death_message()
        for request_id, future in self._pending.items():
            if not future.done():
                future.set_exception(_unavailable(message, started=request_id in self._started))
        self._pending.clear()
        self._started.clear()

    def _death_message(self) -> str:
        reason = self._exit_reason or "is not running"
        tail = self.stderr_tail()
        message = f"the {self.family} runner {reason}"
        return f"{message}; last stderr: {tail}" if tail else message


def _report(watch: _Watch | None, progress: Any) -> None:
    """Pass a progress frame on; a malformed one only counts as a sign of life."""
    if watch is None or watch.on_progress is None or not isinstance(progress, dict):
        return
    completed, total = progress.get("completed"), progress.get("total")
    if isinstance(completed, int) and isinstance(total, int):
        with contextlib.suppress(Exception):
            watch.on_progress(completed, total)
