"""Hide secrets before anything is shown: proxy passwords, tokens, keys."""

from __future__ import annotations

import re
from typing import Any

_USERINFO = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^@/]+)@", re.IGNORECASE)
SECRET_MARKERS = ("token", "password", "secret", "api_key", "apikey", "authorization")


def redact_url(value: str) -> str:
    """``http://user:pass@proxy:3128`` -> ``http://***:***@proxy:3128``."""
    match = _USERINFO.match(value)
    if not match:
        return value
    masked = "***:***" if ":" in match.group("userinfo") else "***"
    return f"{match.group('scheme')}{masked}@{value[match.end() :]}"


def redact(data: Any, key: str = "") -> Any:
    """Deep copy of ``data`` with secret-named keys masked and URL credentials hidden."""
    if isinstance(data, dict):
        return {k: redact(v, str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [redact(v, key) for v in data]
    if isinstance(data, str):
        if data and any(marker in key.lower() for marker in SECRET_MARKERS):
            return "***"
        return redact_url(data)
    return data


_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<userinfo>[^@/\s]+)@", re.IGNORECASE)


def redact_text(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """Free text (an error message) with URL credentials masked and the given secrets removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _URL_USERINFO.sub(
        lambda m: m.group("scheme") + ("***:***" if ":" in m.group("userinfo") else "***") + "@", text
    )
