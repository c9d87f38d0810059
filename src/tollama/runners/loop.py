"""The shared runner loop: frames in on stdin, frames out on stdout, work on a thread pool.

Everything families share lives here: the ``hello`` handshake, request ids, several requests
in flight, exceptions turned into error frames, and stdout kept clean for frames (libraries
that ``print`` end up on stderr, which the daemon logs).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from tollama import __version__
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
from tollama.core.schemas import ForecastRequest, ModelManifest
from tollama.runners.adapter import FamilyAdapter

logger = logging.getLogger("tollama.runner")
DEFAULT_WORKERS = 4


class RunnerLoop:
    """Dispatch frames to an adapter; one instance per runner process."""

    def __init__(self, adapter: FamilyAdapter, out: BinaryIO, workers: int = DEFAULT_WORKERS) -> None:
        self.adapter = adapter
        self._out = out
        self._write_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{adapter.family}-worker")

    def run(self, lines: BinaryIO) -> None:
        """Serve until stdin closes (the daemon went away) or a ``shutdown`` frame arrives."""
        try:
            for line in lines:
                if not line.strip():
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

    def _handle(self, frame: dict[str, Any]) -> None:
        request_id = str(frame["id"])
        self._send(started_frame(request_id))
        try:
            result = self.dispatch(str(frame.get("method", "")), frame.get("params") or {})
            self._send(result_frame(request_id, result))
        except Exception as exc:
            if not isinstance(exc, InvalidRequest):
                logger.exception("request %s failed", request_id)
            self._send(error_frame(request_id, exc))

    def dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method == "hello":
            return {
                "protocol_version": PROTOCOL_VERSION,
                "family": self.adapter.family,
                "pid": os.getpid(),
                "python": sys.executable,
                "tollama_version": __version__,
                **self.adapter.describe(),
            }
        if method == "load":
            started = time.perf_counter_ns()
            self.adapter.load(ModelManifest.model_validate(params["model"]))
            return {"load_duration": time.perf_counter_ns() - started}
        if method == "unload":
            self.adapter.unload(str(params["model"]))
            return {}
        if method == "forecast":
            request = ForecastRequest.model_validate(params["request"])
            return self.adapter.forecast(str(params["model"]), request).model_dump(exclude_none=True)
        raise InvalidRequest(f"unknown runner method {method!r}")

    def _send(self, frame: dict[str, Any]) -> None:
        data = encode_frame(frame)
        with self._write_lock:
            self._out.write(data)
            self._out.flush()


def serve(adapter: FamilyAdapter) -> None:
    """Console-script entry point of every family: keep stdout for frames, then run the loop."""
    protocol_out = _claim_stdout(adapter.family)
    RunnerLoop(adapter, protocol_out).run(sys.stdin.buffer)


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
    RunnerLoop(adapter, protocol_out).run(sys.stdin.buffer)


def _claim_stdout(family: str) -> BinaryIO:
    """Keep the real stdout for frames; anything printed (libraries do) goes to stderr."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=f"%(asctime)s {family} %(levelname)s %(message)s")
    return protocol_out
