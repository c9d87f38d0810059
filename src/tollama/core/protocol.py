"""Newline-delimited JSON frames between the daemon and runner processes.

Request ``{"id", "method", "params"}``; response ``{"id", "result"}`` or
``{"id", "error": {"code", "message"}}``; ``code`` names a class of ``core.errors`` so an error
crosses the process boundary as the same exception it started as. Before working on a request
the runner says ``{"id", "started": true}``, so the daemon knows which requests a dying runner
never began (those are safe to send to its replacement). Long work sends
``{"id", "progress": {"completed", "total"}}`` as it goes (the daemon's no-progress timeout
restarts on each), and ``{"id", "method": "cancel", "params": {"id": <request>}}`` from the
daemon (the client went away) stops that request's work; a cancel gets no answer of its own.
"""

from __future__ import annotations

from typing import Any

import orjson

from tollama.core.errors import TollamaError, error_from_code

PROTOCOL_VERSION = 1
METHODS = ("hello", "load", "unload", "forecast", "cancel", "shutdown")
_DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE


class ProtocolError(ValueError):
    """A line that is not a valid frame (a runner printed something else to stdout)."""


def encode_frame(frame: dict[str, Any]) -> bytes:
    """One frame as one line of JSON bytes, numpy arrays included."""
    return orjson.dumps(frame, option=_DUMP_OPTIONS)


def decode_frame(line: bytes | str) -> dict[str, Any]:
    """Parse one line; raise ProtocolError when it is not a JSON object with an id."""
    try:
        frame = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {_preview(line)}") from exc
    if not isinstance(frame, dict) or "id" not in frame:
        raise ProtocolError(f"not a frame: {_preview(line)}")
    return frame


def request_frame(request_id: str, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": request_id, "method": method, "params": params or {}}


def started_frame(request_id: str) -> dict[str, Any]:
    return {"id": request_id, "started": True}


def progress_frame(request_id: str, completed: int, total: int) -> dict[str, Any]:
    return {"id": request_id, "progress": {"completed": completed, "total": total}}


def result_frame(request_id: str, result: Any) -> dict[str, Any]:
    return {"id": request_id, "result": result}


def error_frame(request_id: str, exc: BaseException) -> dict[str, Any]:
    """Turn an exception into an error frame; unknown exceptions keep only a safe message."""
    if isinstance(exc, TollamaError):
        code, message = exc.code, exc.message
    else:
        code, message = "TollamaError", f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    return {"id": request_id, "error": {"code": code, "message": message}}


def raise_for_frame(frame: dict[str, Any]) -> Any:
    """Return a response frame's result, or raise the error class it names."""
    if "error" in frame:
        err = frame["error"] or {}
        raise error_from_code(str(err.get("code", "")), str(err.get("message", "runner error")))
    return frame.get("result")


def _preview(line: bytes | str, limit: int = 120) -> str:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "..."
