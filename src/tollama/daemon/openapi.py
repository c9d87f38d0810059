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
    403: "Host header refused (DNS-rebinding guard on loopback binds), or a foreign Origin",
    404: "Model not installed or not in the registry",
    408: "The request body stopped arriving (TOLLAMA_BODY_TIMEOUT_SECONDS)",
    409: "The model's license needs acceptance",
    413: "Request body larger than TOLLAMA_MAX_REQUEST_BYTES",
    415: "Request body not sent as Content-Type: application/json",
    500: "Unexpected error (the daemon log has the request id)",
    503: "Queue full, the runner unavailable, or too many body bytes in flight; see Retry-After",
    504: "The runner did not answer within TOLLAMA_FORECAST_TIMEOUT_SECONDS",
}
_BY_OPERATION: dict[tuple[str, str], tuple[int, ...]] = {
    ("/api/show", "post"): (404,),
    ("/api/delete", "delete"): (404,),
    ("/api/pull", "post"): (404, 409),
    ("/api/create", "post"): (404,),
    ("/api/forecast", "post"): (404, 503, 504),
    ("/v1/forecast", "post"): (404, 503, 504),
    ("/api/evaluate", "post"): (404, 503, 504),
}
# Streaming operations: the final object's model, and the models one NDJSON line can be.
_STREAMS: dict[tuple[str, str], tuple[type[BaseModel], tuple[type[BaseModel], ...]]] = {
    ("/api/forecast", "post"): (ForecastResponse, (StatusEvent, ForecastResponse, ErrorResponse)),
    ("/api/pull", "post"): (StatusEvent, (StatusEvent, ErrorResponse)),
    ("/api/create", "post"): (StatusEvent, (StatusEvent, ErrorResponse)),
    ("/api/evaluate", "post"): (EvaluateResponse, (StatusEvent, EvaluateResponse, ErrorResponse)),
}


_SIMPLE_FORECAST = {
    "model": "auto-ets",
    "horizon": 3,
    "quantiles": [0.1, 0.9],
    "series": [
        {
            "id": "sales",
            "freq": "D",
            "timestamps": ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"],
            "target": [10.0, 12.0, 11.0, 13.0],
        }
    ],
    "stream": False,
}
# What each operation does (summary, description) and request examples, shown by /docs and /redoc.
# Examples name builtin models only: schemathesis sends them, and a pull must not need the network.
_DOCS: dict[tuple[str, str], tuple[str, str]] = {
    ("/api/tags", "get"): (
        "Installed models",
        "Every installed model with its size and capabilities (`tollama list`).",
    ),
    ("/api/ps", "get"): (
        "Loaded models",
        "Models loaded in runners, with expiry, runner memory and device (`tollama ps`).",
    ),
    ("/api/show", "post"): (
        "A model's manifest",
        "Source, license, capabilities, limits and snapshot (`tollama show`).",
    ),
    ("/api/pull", "post"): ("Install a model", "Download a registry model; NDJSON progress unless `stream` is false."),
    ("/api/delete", "delete"): ("Remove a model", "Unload it if loaded and delete its files (`tollama rm`)."),
    ("/api/forecast", "post"): (
        "Forecast (Ollama style)",
        "Forecast every series; NDJSON status lines then the answer unless `stream` is false. A body with a "
        "`model` and no `series` loads that model, or unloads it when `keep_alive` is 0 (`tollama stop`).",
    ),
    ("/v1/forecast", "post"): ("Forecast (one JSON answer)", "The same forecast as `/api/forecast`, never streamed."),
    ("/api/info", "get"): (
        "Diagnostics",
        "Daemon settings, paths, redacted config, models and runners (`tollama info`).",
    ),
    ("/api/version", "get"): ("Daemon version", "Needs no API key."),
    ("/v1/health", "get"): ("Health", "`ok` while the daemon serves; needs no API key."),
    ("/metrics", "get"): ("Prometheus metrics", "Requests, latency, queues, loaded models, runner restarts."),
}
_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/forecast", "post"): {
        "forecast": {"summary": "Three days ahead with an 80% interval", "value": _SIMPLE_FORECAST},
        "unload": {"summary": "Unload a model now", "value": {"model": "auto-ets", "keep_alive": 0}},
        "load": {"summary": "Load a model and keep it 1 hour", "value": {"model": "auto-ets", "keep_alive": "1h"}},
    },
    ("/v1/forecast", "post"): {"forecast": {"summary": "Three days ahead", "value": _SIMPLE_FORECAST}},
    ("/api/pull", "post"): {"pull": {"summary": "Install a model", "value": {"model": "auto-ets", "stream": False}}},
    ("/api/show", "post"): {"show": {"summary": "One model", "value": {"model": "auto-ets"}}},
    ("/api/delete", "delete"): {"delete": {"summary": "One model", "value": {"model": "auto-ets"}}},
}


def _describe(path: str, method: str, operation: dict[str, Any]) -> None:
    if (path, method) in _DOCS:
        operation["summary"], operation["description"] = _DOCS[(path, method)]
    examples = _EXAMPLES.get((path, method))
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if examples and content is not None:
        content["examples"] = examples


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
        statuses += [400, 408, 413, 415, 503]
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
            _describe(path, method, operation)
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
