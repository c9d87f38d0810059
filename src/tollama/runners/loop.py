"""The shared runner loop: frames in on stdin, frames out on stdout, work on a thread pool.

Everything families share lives here: the ``hello`` handshake, request ids, several requests
in flight, exceptions turned into error frames, and stdout kept clean for frames (libraries
that ``print`` end up on stderr, which the daemon logs). For a ``batchable`` adapter,
forecasts go through ``runners.batching`` (concurrent compatible requests share one call), and
a request's ``started`` frame goes out when its call begins, not while it waits for one.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, Literal

from pydantic import TypeAdapter
from typing_extensions import TypedDict

from tollama import __version__
from tollama.core.config import BatchSettings
from tollama.core.errors import InvalidRequest
from tollama.core.protocol import (
    PROTOCOL_VERSION,
    ProtocolError,
    decode_frame,
    encode_frame,
    error_frame,
    result_frame,
    started_frame,
)
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.batching import Batcher, Replies

logger = logging.getLogger("tollama.runner")
DEFAULT_WORKERS = 4
# How the daemon's encoder starts a forecast frame: {"id":"12","method":"forecast",...
_FORECAST_MARK = b'"method":"forecast"'
_MARK_WITHIN = 64


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
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{adapter.family}-worker")
        settings = batching or BatchSettings()
        self._batcher: Batcher | None = None
        if adapter.batchable and settings.enabled:
            replies = Replies(started=self._send_started, result=self._send_forecast, error=self._send_error)
            self._batcher = Batcher(adapter, replies, settings)

    def run(self, lines: BinaryIO) -> None:
        """Serve until stdin closes (the daemon went away) or a ``shutdown`` frame arrives."""
        try:
            for line in lines:
                if not line.strip():
                    continue
                if _FORECAST_MARK in line[:_MARK_WITHIN]:  # parsed and validated off this thread, in one pass
                    self._pool.submit(self._handle_forecast_line, line)
                    continue
                try:
                    frame = decode_frame(line)
                except ProtocolError as exc:
                    logger.error("dropping bad frame: %s", exc)
                    continue
                if frame.get("method") == "shutdown":
                    self._send(result_frame(frame["id"], {}))
                    break
                if frame.get("method") == "hello":
                    self._handle(frame)
                else:
                    self._pool.submit(self._handle, frame)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=False)

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
                logger.error("dropping bad frame: %s", exc)
                return
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
            self._send(result_frame(request_id, self.dispatch(method, params)))
        except Exception as exc:
            self._send_error(request_id, exc)

    def _forecast(self, request_id: str, model: str, request: ForecastRequest) -> None:
        if self._batcher is not None:
            self._batcher.submit(request_id, model, request)
            return
        self._send_started([request_id])
        try:
            forecast = self.adapter.forecast(model, request)
        except Exception as exc:
            self._send_error(request_id, exc)
            return
        self._send_forecast(request_id, forecast)

    def _send_started(self, request_ids: list[str]) -> None:
        data = b"".join(encode_frame(started_frame(request_id)) for request_id in request_ids)
        with self._write_lock:
            self._out.write(data)
            self._out.flush()

    def _send_forecast(self, request_id: str, forecast: RunnerForecast) -> None:
        try:
            frame = result_frame(request_id, forecast.model_dump(exclude_none=True))
        except Exception as exc:
            self._send_error(request_id, exc)
            return
        self._send(frame)

    def _send_error(self, request_id: str, exc: BaseException) -> None:
        if not isinstance(exc, InvalidRequest):
            logger.error("request %s failed", request_id, exc_info=exc)
        self._send(error_frame(request_id, exc))

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
        data = encode_frame(frame)
        with self._write_lock:
            self._out.write(data)
            self._out.flush()


def _forecast_params(params: dict[str, Any]) -> tuple[str, ForecastRequest]:
    return str(params["model"]), ForecastRequest.model_validate(params["request"])


def _run(adapter: FamilyAdapter, protocol_out: BinaryIO) -> None:
    loop = RunnerLoop(adapter, protocol_out, batching=BatchSettings.from_env())
    # What is loaded by now (libraries, the adapter) lives as long as the process: keep it out
    # of the collector's full passes, which large requests would otherwise trigger over it.
    gc.freeze()
    loop.run(sys.stdin.buffer)


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
    """Keep the real stdout for frames; anything printed (libraries do) goes to stderr."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=f"%(asctime)s {family} %(levelname)s %(message)s")
    return protocol_out
