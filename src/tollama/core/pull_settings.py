"""Effective pull settings: request > environment > config file > default, with the source.

``/api/info`` and ``tollama info`` print these (redacted); the pull service uses the values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tollama.core.config import TollamaConfig
from tollama.core.redaction import redact_url

PULL_KEYS = ("offline", "https_proxy", "http_proxy", "no_proxy", "hf_home", "token")
_ENV_NAMES: dict[str, tuple[str, ...]] = {
    "offline": ("TOLLAMA_OFFLINE", "HF_HUB_OFFLINE"),
    "https_proxy": ("HTTPS_PROXY", "https_proxy"),
    "http_proxy": ("HTTP_PROXY", "http_proxy"),
    "no_proxy": ("NO_PROXY", "no_proxy"),
    "hf_home": ("HF_HOME",),
    "token": ("TOLLAMA_HF_TOKEN", "HF_TOKEN"),
}
_DEFAULTS: dict[str, Any] = {"offline": False}


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str  # request | env | config | default

    def shown(self, key: str) -> dict[str, Any]:
        """The value as it may be displayed: tokens never, proxy passwords masked."""
        if key == "token":
            return {"value": "***" if self.value else None, "source": self.source}
        value = redact_url(self.value) if isinstance(self.value, str) else self.value
        return {"value": value, "source": self.source}


def resolve_pull_settings(
    request: dict[str, Any] | None, config: TollamaConfig, environ: dict[str, str] | None = None
) -> dict[str, Setting]:
    environ = dict(os.environ) if environ is None else environ
    request = request or {}
    out: dict[str, Setting] = {}
    for key in PULL_KEYS:
        if request.get(key) is not None:
            out[key] = Setting(request[key], "request")
            continue
        env_value = next((environ[n] for n in _ENV_NAMES[key] if environ.get(n)), None)
        if env_value is not None:
            out[key] = Setting(_coerce(key, env_value), "env")
            continue
        config_value = getattr(config.pull, key, None)
        if config_value is not None:
            out[key] = Setting(config_value, "config")
            continue
        out[key] = Setting(_DEFAULTS.get(key), "default")
    return out


def shown_settings(settings: dict[str, Setting]) -> dict[str, dict[str, Any]]:
    return {key: setting.shown(key) for key, setting in settings.items()}


def _coerce(key: str, value: str) -> Any:
    if key == "offline":
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value
