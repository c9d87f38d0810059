"""The one place errors become responses: ``{"error": "<one line>"}`` with the class's status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tollama.core.errors import TollamaError
from tollama.core.lifecycle import FORECAST_KIND, KEEP_ALIVE_KIND
from tollama.daemon.observability import REQUEST_ID_HEADER, REQUEST_ID_SCOPE_KEY

logger = logging.getLogger("tollama.daemon")
_UNPARSABLE_BODY = "There was an error parsing the body"
_NOT_FIELDS = {"body", FORECAST_KIND, KEEP_ALIVE_KIND}  # where an error is, not a field (union tags)


def describe_validation_error(exc: RequestValidationError) -> str:
    """One readable line from pydantic's error list (the first error, plus a count)."""
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in _NOT_FIELDS]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        text = f"request body is not valid JSON ({first.get('ctx', {}).get('error', message)})"
    elif first.get("type") == "missing":
        text = f"missing required field '{'.'.join(loc)}'"
    elif first.get("type") == "value_error" and len(loc) <= 1:
        text = message
    else:
        text = f"{'.'.join(loc)}: {message}" if loc else message
    more = len(errors) - 1
    return f"{text} (and {more} more error{'s' if more > 1 else ''})" if more else text


def error_response(exc: TollamaError) -> JSONResponse:
    """``{"error": message}`` with the class's status; also used by the ASGI middlewares."""
    return JSONResponse({"error": exc.message}, status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TollamaError)
    async def _tollama_error(_: Request, exc: TollamaError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own answers (unknown path 404, 405, a body FastAPI could not parse) keep
        # their status but take our error shape.
        message = "request body is not valid JSON" if exc.detail == _UNPARSABLE_BODY else str(exc.detail)
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": describe_validation_error(exc)}, status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette answers these outside the middleware stack: name the request id here.
        request_id = str(request.scope.get(REQUEST_ID_SCOPE_KEY, "-"))
        logger.exception("unexpected error (request %s)", request_id, exc_info=exc)
        return JSONResponse(
            {"error": f"internal error; see the daemon log (request id {request_id})"},
            status_code=500,
            headers={REQUEST_ID_HEADER: request_id},
        )
