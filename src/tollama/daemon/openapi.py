"""The OpenAPI document, rewritten to say what the routes really answer.

FastAPI documents a 422 with its own error shape, but every error here is ``{"error": "..."}``
with the statuses of ``core.errors``; and it cannot see that ``/api/forecast`` and ``/api/pull``
stream NDJSON. So, after FastAPI builds the document:

- each operation lists the error statuses it can give, all with the ``ErrorResponse`` schema
  (503 also with ``Retry-After``), and the 422 entries are gone;
- streaming routes list ``application/x-ndjson`` beside ``application/json``. OpenAPI 3.1 has
  no schema for "one JSON object per line" (3.2's ``itemSchema`` does), so the NDJSON body is
  described as an array of its lines: ``{"type": "array", "items": <one line>}``, and the
  schemathesis suite reads NDJSON bodies as that array to check every line.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from tollama.core.evaluation import EvaluateResponse
from tollama.core.schemas import ErrorResponse, ForecastResponse, StatusEvent
from tollama.daemon.auth import OPEN_PATHS

NDJSON = "application/x-ndjson"
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}
ERRORS: dict[int, str] = {
    400: "Invalid request (the message names the field or limit)",
    401: "Missing or wrong API key",
    403: "Host header refused (DNS-rebinding guard on loopback binds)",
    404: "Model not installed or not in the registry",
    409: "The model's license needs acceptance",
    413: "Request body larger than TOLLAMA_MAX_REQUEST_BYTES",
    500: "Unexpected error (the daemon log has the request id)",
    503: "Queue full, or the runner is unavailable; see Retry-After when present",
    504: "The runner did not answer within TOLLAMA_FORECAST_TIMEOUT_SECONDS",
}
_BY_OPERATION: dict[tuple[str, str], tuple[int, ...]] = {
    ("/api/show", "post"): (404,),
    ("/api/delete", "delete"): (404,),
    ("/api/pull", "post"): (404, 409),
    ("/api/forecast", "post"): (404, 503, 504),
    ("/v1/forecast", "post"): (404, 503, 504),
    ("/api/evaluate", "post"): (404, 503, 504),
}
# Streaming operations: the final object's model, and the models one NDJSON line can be.
_STREAMS: dict[tuple[str, str], tuple[type[BaseModel], tuple[type[BaseModel], ...]]] = {
    ("/api/forecast", "post"): (ForecastResponse, (StatusEvent, ForecastResponse, ErrorResponse)),
    ("/api/pull", "post"): (StatusEvent, (StatusEvent, ErrorResponse)),
    ("/api/evaluate", "post"): (EvaluateResponse, (StatusEvent, EvaluateResponse, ErrorResponse)),
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _add_component(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    if model.__name__ in schemas:
        return
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas[model.__name__] = schema


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [403, 500]
    if path not in OPEN_PATHS:
        statuses.append(401)
    if "requestBody" in operation:
        statuses += [400, 413]
    statuses += _BY_OPERATION.get((path, method), ())
    return sorted(set(statuses))


def _rewrite(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for model in (ErrorResponse, StatusEvent, ForecastResponse):
        _add_component(schemas, model)
    error_content = {"application/json": {"schema": _ref(ErrorResponse)}}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _error_statuses(path, method, operation):
                entry: dict[str, Any] = {"description": ERRORS[status], "content": error_content}
                if status == 503:
                    entry["headers"] = {
                        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
                    }
                responses[str(status)] = entry
            stream = _STREAMS.get((path, method))
            if stream is not None:
                final, lines = stream
                responses["200"] = {
                    "description": "The final object (`stream: false`), or NDJSON progress lines (`stream: true`)",
                    "content": {
                        "application/json": {"schema": _ref(final)},
                        NDJSON: {"schema": {"type": "array", "items": {"anyOf": [_ref(m) for m in lines]}}},
                    },
                }


def install_openapi(app: FastAPI) -> None:
    """Serve the rewritten document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _rewrite(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
