"""JSON request bodies parsed with orjson instead of ``json.loads`` (FastAPI's own parser).

A 1,000-series request body is megabytes of floats: ``json.loads`` spends ~100 ms on it, orjson
a quarter of that. orjson is stricter (no ``NaN`` literals, no integers past 64 bits, no lone
surrogates), so a body it refuses is parsed again with ``json.loads``: the answer, or the
error a client sees, is exactly what FastAPI alone would give. A body orjson read is kept in the
scope (``BODY_SCOPE_KEY``), so the forecast service can hand it to the runner unchanged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from tollama.core.errors import InvalidRequest

BODY_SCOPE_KEY = "tollama.json_body"
OFF_LOOP_BYTES = 256 * 1024  # smaller bodies parse in well under a millisecond: no thread hop


def parse_json(body: bytes) -> tuple[Any, bool]:
    """The parsed body, and whether orjson read it (strict JSON that any JSON reader reads alike).

    A body orjson refuses is read again by ``json.loads`` for its error message, but what JSON
    does not allow stays refused with a 400 (docs/security.md): ``NaN``/``Infinity``, integers
    beyond 64 bits, and nesting deeper than orjson's 1,024 levels (a ``RecursionError`` there).
    """
    try:
        return orjson.loads(body), True
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_int=_bounded_int), False
    except RecursionError:
        raise InvalidRequest("request body is nested too deeply; JSON objects and lists may nest 32 levels") from None


def _refuse_constant(name: str) -> Any:
    raise InvalidRequest(f"request body holds {name}, which JSON does not allow; send null for a missing value")


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise InvalidRequest(f"request body holds the integer {text[:20]}..., beyond 64 bits; send it as a float")
    return value


class OrjsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json, strict = await _off_the_loop(len(body), parse_json, body)
            if strict:
                self.scope[BODY_SCOPE_KEY] = body
        return self._json


async def _off_the_loop(size: int, work: Callable[..., Any], *args: Any) -> Any:
    """Run ``work`` in a thread for a large body: parsing megabytes must not stall the event loop."""
    if size < OFF_LOOP_BYTES:
        return work(*args)
    return await asyncio.to_thread(work, *args)


def _piecewise(model: type[BaseModel]) -> Callable[[Any], BaseModel]:
    """``model.model_validate``, one series at a time where the model holds ``series: list[...]``.

    pydantic validates in Rust holding the GIL: a 64 MB body validated at once stalls every other
    thread, the event loop's included, for the whole of it. Validating each series on its own
    lets the loop run between series; the request is then validated around the checked series
    (instances pass as they are). Any error validates the whole body again, so messages and
    their order are exactly those of one ``model_validate``.
    """
    field = model.model_fields.get("series")
    item = getattr(field.annotation, "__args__", (None,))[0] if field is not None else None
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return model.model_validate
    validate_item = item.model_validate

    def validate(parsed: Any) -> BaseModel:
        items = parsed.get("series") if isinstance(parsed, dict) else None
        if not isinstance(items, list) or len(items) < 2:
            return model.model_validate(parsed)
        try:
            checked = [validate_item(entry) for entry in items]
            return model.model_validate({**parsed, "series": checked})
        except ValidationError:
            return model.model_validate(parsed)

    return validate


class OrjsonRoute(APIRoute):
    """An ``APIRoute`` whose handler reads bodies through ``OrjsonRequest``.

    The body is parsed and validated against the route's body model before FastAPI sees it, in
    a thread when it is large; FastAPI then gets the validated model, which it does not
    validate again. Our own parse errors (NaN, nesting) keep their messages.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        model = self.body_field.field_info.annotation if self.body_field is not None else None
        validate = _piecewise(model) if isinstance(model, type) and issubclass(model, BaseModel) else None

        async def orjson_handler(request: Request) -> Response:
            wrapped = OrjsonRequest(request.scope, request.receive)
            try:
                parsed = await wrapped.json()
            except InvalidRequest:
                raise
            except Exception:  # not JSON: FastAPI parses it again and says so
                return await handler(wrapped)
            if validate is not None and isinstance(parsed, dict):
                size = len(await wrapped.body())
                try:
                    wrapped._json = await _off_the_loop(size, validate, parsed)
                except ValidationError as exc:
                    raise RequestValidationError(exc.errors(include_url=False)) from None
            return await handler(wrapped)

        return orjson_handler
