"""Wire types for loading, unloading and stopping (Ollama's habits), beside ``core.schemas``.

``POST /api/forecast`` with a model and no series is Ollama's load/unload idiom:
``{"model": M, "keep_alive": 0}`` unloads M now; ``{"model": M}`` loads it and keeps it for
``keep_alive``. The body type is chosen by ``forecast_body_kind`` before validation, so a
forecast missing a field still gets the forecast's own message.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from tollama.core.schemas import MODEL_NAME_SCHEMA, _Wire

FORECAST_KIND = "forecast"
KEEP_ALIVE_KIND = "keep_alive"


class KeepAliveRequest(_Wire):
    """A model with no series: load it (or with ``keep_alive`` 0, unload it) and forecast nothing."""

    model: str = Field(validation_alias=AliasChoices("model", "name"), json_schema_extra=MODEL_NAME_SCHEMA)
    keep_alive: str | float | None = Field(
        default=None, description="0 unloads now; a duration keeps the model loaded that long; negative: forever"
    )
    stream: bool = True


def forecast_body_kind(body: Any) -> str:
    """A body naming a model and carrying neither ``series`` nor ``horizon`` is a load/unload request."""
    if isinstance(body, dict) and ("model" in body or "name" in body) and not ({"series", "horizon"} & body.keys()):
        return KEEP_ALIVE_KIND
    return FORECAST_KIND


class ShutdownResponse(_Wire):
    status: str = Field(examples=["shutting down"])
    grace_seconds: float | None = Field(
        default=None, description="How long requests in flight may take to finish before the daemon exits"
    )
