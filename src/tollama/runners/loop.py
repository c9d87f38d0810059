"""The shared runner loop: frames in on stdin, frames out on stdout, work on a thread pool.

Everything families share lives here: the ``hello`` handshake, request ids, several requests
in flight, exceptions turned into error frames, and stdout kept clean for frames (libraries
that ``print`` end up on stderr, which the daemon logs). For a ``batchable`` adapter,
forecasts go through ``runners.batching`` (concurrent compatible requests share one call), and
a request's ``started`` frame goes out when its call begins, not while it waits for one.

Every request gets an answer: any exception on any thread (a request the batcher cannot key,
a line too deeply nested to parse) becomes that request's error frame, never a silent drop
that leaves the daemon waiting. Each request has a ``runners.progress.Work``: its progress
goes out as frames, and a ``cancel`` from the daemon (the client left) stops it. End of file on
stdin means the daemon is gone (``runners.lifeline``): all work is cancelled and the process
exits within ``ORPHAN_GRACE_SECONDS``, finished or not.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, Literal

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from tollama import __version__
from tollama.core.config import BatchSettings
from tollama.core.errors import ClientDisconnected, InvalidRequest
from tollama.core.protocol import (
    PROTOCOL_VERSION,
    ProtocolError,
    decode_frame,
    encode_frame,
    error_frame,
    progress_frame,
    result_frame,
    started_frame,
)
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.batching import Batcher, Replies
from tollama.runners.lifeline import die_with_parent
from tollama.runners.progress import Work, working

logger = logging.getLogger("tollama.runner")
DEFAULT_WORKERS = 4
ORPHAN_GRACE_SECONDS = 5.0  # after stdin closes, how long cancelled work may take to stop
# How the daemon's encoder starts a forecast frame: {"id":"12","method":"forecast",...
_FORECAST_MARK = b'"method":"forecast"'
_MARK_WITHIN = 64
# A frame's id, read without parsing the frame (for one that cannot be parsed at all).
_FRAME_ID = re.compile(rb'^\s*\{\s*"id"\s*:\s*"?([^",}]{1,64})"?\s*,')


class _ForecastParams(TypedDict):
    model: str
    request: ForecastRequest


class _ForecastFrame(TypedDict):
    id: str
    method: Literal["forecast"]
    params: _ForecastParams


_FORECAST_FRAME = TypeAdapter(_ForecastFrame)


class RunnerLoop:
    """Dispatch frames to an adapter; one instance per runner process."""

    def __init__(
        self,
        adapter: FamilyAdapter,
        out: BinaryIO,
        workers: int = DEFAULT_WORKERS,
        batching: BatchSettings | None = None,
    ) -> None:
        self.adapter = adapter
        self._out = out
        self._write_lock = threading.Lock()
        self._works: dict[str, Work] = {}  # requests received and not yet answered
        self._works_lock = threading.Lock()
        self._works_done = threading.Condition(self._works_lock)  # notified as requests are answered
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{adapter.family}-worker")
        settings = batching or BatchSettings()
        self._batcher: Batcher | None = None
        if adapter.batchable and settings.enabled:
            replies = Replies(
                started=self._send_started, result=self._send_forecast, error=self._send_error, work=self._work_of
            )
            self._batcher = Batcher(adapter, replies, settings)

    def run(self, lines: Iterable[bytes]) -> bool:
        """Serve until stdin closes (the daemon went away) or a ``shutdown`` frame arrives.

        Returns whether every request finished: on end of file, work still running is
        cancelled and given ``ORPHAN_GRACE_SECONDS`` to stop; ``False`` if some did not.
        """
        orphaned = True
        try:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    if self._serve_line(line):
                        orphaned = False
                        break
                except Exception as exc:  # this thread reads every frame: it must never die
                    self._answer(_frame_id(line), exc)
        finally:
            if orphaned:
                self._cancel_all()
            # Queued requests still run, to answer their cancel at once (``_guarded``).
            self._pool.shutdown(wait=not orphaned)
        return self._drained(ORPHAN_GRACE_SECONDS) if orphaned else True

    def _serve_line(self, line: bytes) -> bool:
        """Dispatch one frame; returns True for ``shutdown``."""
        head = line[:_MARK_WITHIN]
        if _FORECAST_MARK in head:  # parsed and validated off this thread, in one pass
            request_id = _frame_id(line)
            if request_id is not None:
                self._begin(request_id)
            self._pool.submit(self._guarded, request_id, self._handle_forecast_line, line)
            return False
        try:
            frame = decode_frame(line)
        except ProtocolError as exc:
            self._answer(_frame_id(line), InvalidRequest(f"the runner could not read the request: {exc}"))
            return False
        method = frame.get("method")
        if method == "shutdown":
            self._send(result_frame(frame["id"], {}))
            return True
        if method == "cancel":
            self.cancel(str((frame.get("params") or {}).get("id")))
        elif method == "hello":
            self._handle(frame)
        else:
            request_id = str(frame["id"])
            self._begin(request_id)
            self._pool.submit(self._guarded, request_id, self._handle, frame)
        return False

    def cancel(self, request_id: str) -> None:
        """Stop a request's work (its client left); one already answered is left alone."""
        with self._works_lock:
            work = self._works.get(request_id)
        if work is not None:
            logger.info("request %s cancelled", request_id)
            work.cancel()

    def _begin(self, request_id: str) -> Work:
        work = Work(lambda completed, total: self._send(progress_frame(request_id, completed, total)))
        with self._works_lock:
            self._works[request_id] = work
        return work

    def _work_of(self, request_id: str) -> Work:
        with self._works_lock:
            return self._works.get(request_id) or Work()

    def _cancel_all(self) -> None:
        with self._works_lock:
            works = list(self._works.values())
        if works:
            logger.warning("stdin closed (the daemon is gone): cancelling %d requests", len(works))
        for work in works:
            work.cancel()

    def _drained(self, grace: float) -> bool:
        """Whether every request got its answer within ``grace`` seconds."""
        with self._works_done:
            return self._works_done.wait_for(lambda: not self._works, timeout=grace)

    def _guarded(self, request_id: str | None, handler: Callable[..., None], *args: Any) -> None:
        """Run a frame's handler on a pool thread; whatever it raises is that request's error."""
        try:
            work = self._work_of(request_id) if request_id is not None else Work()
            work.check()  # cancelled while it waited for a thread
            handler(*args)
        except Exception as exc:
            self._answer(request_id, exc)

    def _answer(self, request_id: str | None, exc: BaseException) -> None:
        if request_id is None:
            logger.error("dropping a frame without a readable id", exc_info=exc)
            return
        self._send_error(request_id, exc)

    def _handle_forecast_line(self, line: bytes) -> None:
        """A forecast frame straight from JSON into a ``ForecastRequest`` (no dict of a million values).

        Anything that does not validate takes the generic path, which answers with the usual error.
        """
        try:
            frame = _FORECAST_FRAME.validate_json(line)
        except ValueError:
            try:
                generic = decode_frame(line)
            except ProtocolError as exc:
                raise InvalidRequest(f"the runner could not read the request: {exc}") from None
            self._handle(generic)
            return
        self._forecast(frame["id"], frame["params"]["model"], frame["params"]["request"])

    def _handle(self, frame: dict[str, Any]) -> None:
        request_id = str(frame["id"])
        method = str(frame.get("method", ""))
        params = frame.get("params") or {}
        if method == "forecast":
            try:
                model, request = _forecast_params(params)
            except Exception as exc:
                self._send_error(request_id, exc)
                return
            self._forecast(request_id, model, request)
            return
        self._send(started_frame(request_id))
        try:
            result = self.dispatch(method, params)
        except Exception as exc:
            self._send_error(request_id, exc)
            return
        self._send_result(request_id, result)

    def _forecast(self, request_id: str, model: str, request: ForecastRequest) -> None:
        if self._batcher is not None:
            self._batcher.submit(request_id, model, request)
            return
        self._send_started([request_id])
        try:
            with working(self._work_of(request_id)):
                forecast = self.adapter.forecast(model, request)
        except Exception as exc:
            self._send_error(request_id, exc)
            return
        self._send_forecast(request_id, forecast)

    def _send_started(self, request_ids: list[str]) -> None:
        self._write(b"".join(encode_frame(started_frame(request_id)) for request_id in request_ids))

    def _send_forecast(self, request_id: str, forecast: RunnerForecast) -> None:
        try:
            data = forecast.model_dump(exclude_none=True)
        except Exception as exc:
            self._send_error(request_id, exc)
            return
        self._send_result(request_id, data)

    def _send_result(self, request_id: str, result: Any) -> None:
        try:
            data = encode_frame(result_frame(request_id, result))
        except Exception as exc:  # not encodable (too deep, a type orjson does not know)
            self._send_error(request_id, exc)
            return
        self._finish(request_id)
        self._write(data)

    def _send_error(self, request_id: str, exc: BaseException) -> None:
        if not isinstance(exc, InvalidRequest | ClientDisconnected):
            logger.error("request %s failed", request_id, exc_info=exc)
        self._finish(request_id)
        self._send(error_frame(request_id, exc))

    def _finish(self, request_id: str) -> None:
        with self._works_done:
            self._works.pop(request_id, None)
            self._works_done.notify_all()

    def dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method == "hello":
            hello = {
                "protocol_version": PROTOCOL_VERSION,
                "family": self.adapter.family,
                "pid": os.getpid(),
                "python": sys.executable,
                "tollama_version": __version__,
                **self.adapter.describe(),
            }
            if self._batcher is not None:
                hello["batching"] = {"window_ms": self._batcher.window * 1000, "max_series": self._batcher.max_series}
            return hello
        if method == "load":
            started = time.perf_counter_ns()
            self.adapter.load(ModelManifest.model_validate(params["model"]))
            return {"load_duration": time.perf_counter_ns() - started}
        if method == "unload":
            self.adapter.unload(str(params["model"]))
            return {}
        if method == "forecast":
            model, request = _forecast_params(params)
            return self.adapter.forecast(model, request).model_dump(exclude_none=True)
        raise InvalidRequest(f"unknown runner method {method!r}")

    def _send(self, frame: dict[str, Any]) -> None:
        self._write(encode_frame(frame))

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            self._out.write(data)
            self._out.flush()


def _frame_id(line: bytes) -> str | None:
    """The id at the start of a frame as the daemon writes it, read without parsing the frame."""
    match = _FRAME_ID.match(line)
    return match.group(1).decode("utf-8", "replace") if match else None


def _forecast_params(params: dict[str, Any]) -> tuple[str, ForecastRequest]:
    """The model name and validated request; a request that does not validate is the caller's error."""
    try:
        return str(params["model"]), ForecastRequest.model_validate(params["request"])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise InvalidRequest(f"{where}: {message}" if where else message) from None


def _run(adapter: FamilyAdapter, protocol_out: BinaryIO) -> None:
    loop = RunnerLoop(adapter, protocol_out, batching=BatchSettings.from_env())
    # What is loaded by now (libraries, the adapter) lives as long as the process: keep it out
    # of the collector's full passes, which large requests would otherwise trigger over it.
    gc.freeze()
    if not loop.run(sys.stdin.buffer):
        logger.error("work still running %gs after the daemon left; exiting anyway", ORPHAN_GRACE_SECONDS)
        logging.shutdown()
        os._exit(1)  # threads stuck in library code would otherwise hold the process open


def serve(adapter: FamilyAdapter) -> None:
    """Console-script entry point of every family: keep stdout for frames, then run the loop."""
    _run(adapter, _claim_stdout(adapter.family))


def serve_lazy(family: str, load_adapter: Callable[[], FamilyAdapter]) -> None:
    """Entry point of a family with a heavy library: import it only after stdout is claimed.

    ``load_adapter`` imports the adapter module and builds the adapter. When the library is not
    installed (single-env mode), the runner still starts and answers every load and forecast
    with a ``RunnerUnavailable`` that names the extra to install.
    """
    from tollama.runners.missing import MissingLibraryAdapter

    protocol_out = _claim_stdout(family)
    try:
        adapter = load_adapter()
    except ImportError as exc:
        logger.error("cannot import the %s library: %s", family, exc)
        adapter = MissingLibraryAdapter(family, exc)
    _run(adapter, protocol_out)


def _claim_stdout(family: str) -> BinaryIO:
    """Keep the real stdout for frames; anything printed (libraries do) goes to stderr.

    Also the first thing every runner does: arm the parent-death signal (``runners.lifeline``).
    """
    die_with_parent()
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=f"%(asctime)s {family} %(levelname)s %(message)s")
    return protocol_out
