"""Answer a service's event stream as NDJSON, or as its final object alone.

An error before the first line keeps its real status (the first event is awaited before the
response starts); an error after it becomes a last ``{"error": ...}`` line, as Ollama does.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi.responses import Response, StreamingResponse

from tollama.core.errors import TollamaError

logger = logging.getLogger("tollama.daemon")
NDJSON = "application/x-ndjson"


async def respond(events: AsyncIterator[dict[str, Any]], stream: bool) -> Response:
    if not stream:
        final: dict[str, Any] = {}
        async for event in events:
            final = event
        return Response(_dumps(final), media_type="application/json")
    first = await anext(events)
    return StreamingResponse(_lines(first, events), media_type=NDJSON)


async def _lines(first: dict[str, Any], events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    yield _line(first)
    try:
        async for event in events:
            yield _line(event)
    except TollamaError as exc:
        yield _line({"error": exc.message, "status": exc.status_code})
    except Exception:
        logger.exception("stream failed")
        yield _line({"error": "internal error; see the daemon log"})


def _line(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY)


def _dumps(event: dict[str, Any]) -> bytes:
    """orjson, not ``json.dumps``: a 1,000-series answer encodes in milliseconds."""
    return orjson.dumps(event, option=orjson.OPT_SERIALIZE_NUMPY)
