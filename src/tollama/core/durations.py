"""Ollama's ``keep_alive``: a duration string, seconds as a number, 0 (now) or negative (never)."""

from __future__ import annotations

import math
import re

from tollama.core.errors import InvalidRequest

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
NEVER = -1.0
# Longer than this is "never unload": a timer (and a datetime) cannot hold much more.
MAX_KEEP_ALIVE_SECONDS = 100 * 365 * 24 * 3600.0


def parse_keep_alive(value: str | float | None, default: float) -> float:
    """Seconds to keep a model loaded after its last request; negative means forever."""
    seconds = _parse(value, default)
    if math.isnan(seconds):
        raise InvalidRequest(f"keep_alive {value!r} is not a duration")
    return NEVER if seconds > MAX_KEEP_ALIVE_SECONDS else seconds


def _parse(value: str | float | None, default: float) -> float:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidRequest(f"keep_alive {value!r} is not a duration")
    if isinstance(value, int | float):
        return NEVER if value < 0 else float(value)
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return NEVER if number < 0 else number
    negative = text.startswith("-")
    body = text.lstrip("+-")
    parts = _PART.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        raise InvalidRequest(f"keep_alive {value!r} is not a duration (e.g. '5m', '1h30m', 300, 0, -1)")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    return NEVER if negative else seconds
