"""The diagnostics payload shared by ``GET /api/info`` and ``tollama info --local``.

Local facts only (files and environment); the daemon adds its own section, loaded models and
runner statuses. Everything passes through redaction before it leaves.
"""

from __future__ import annotations

import os
import platform
from typing import Any

from tollama import __version__
from tollama.core.config import ENV_VARS, Paths, TollamaConfig, load_config
from tollama.core.errors import TollamaError
from tollama.core.pull_settings import resolve_pull_settings, shown_settings
from tollama.core.redaction import redact
from tollama.core.registry import load_registry
from tollama.core.store import ModelStore

_SAFE_ENV = (
    "TOLLAMA_HOME",
    "TOLLAMA_HOST",
    "TOLLAMA_BASE_URL",
    "TOLLAMA_FORECAST_TIMEOUT_SECONDS",
    "TOLLAMA_KEEP_ALIVE",
    "TOLLAMA_NO_AUTOSTART",
    "TOLLAMA_NUM_THREADS",
    "TOLLAMA_MAX_QUEUE",
    "TOLLAMA_MAX_LOADED_MODELS",
    "TOLLAMA_NUM_PARALLEL",
    "TOLLAMA_BATCH_WINDOW_MS",
    "TOLLAMA_BATCH_MAX_SERIES",
    "TOLLAMA_MAX_REQUEST_BYTES",
    "TOLLAMA_MAX_HORIZON",
    "TOLLAMA_MAX_SERIES",
    "TOLLAMA_MAX_SERIES_LENGTH",
    "TOLLAMA_MAX_QUANTILES",
    "TOLLAMA_ORIGINS",
    "TOLLAMA_SHUTDOWN_GRACE_SECONDS",
    "TOLLAMA_RUNTIMES_DIR",
    "TOLLAMA_RUNTIME_INSTALLER",
    "HF_HOME",
    "HF_ENDPOINT",
    "HF_HUB_OFFLINE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
_PRESENCE_ONLY = ("TOLLAMA_HF_TOKEN", "HF_TOKEN", "TOLLAMA_API_KEY", "TOLLAMA_API_KEYS")


def collect_local_info(paths: Paths, environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ) if environ is None else environ
    config_error = None
    try:
        config = load_config(paths.config_file)
    except TollamaError as exc:
        config, config_error = TollamaConfig(), exc.message
    installed, store_error = _installed(paths)
    env_block: dict[str, Any] = {k: environ[k] for k in _SAFE_ENV if environ.get(k)}
    env_block.update({f"{k}_present": bool(environ.get(k)) for k in _PRESENCE_ONLY})
    payload: dict[str, Any] = {
        "version": __version__,
        "platform": {"python": platform.python_version(), "system": platform.platform()},
        "paths": {
            "tollama_home": str(paths.home),
            "config_path": str(paths.config_file),
            "config_exists": paths.config_file.exists(),
            "models": str(paths.models),
            "runtimes": str(paths.runtimes),
            "logs": str(paths.logs),
        },
        # API keys: how many are stored, never their digests.
        "config": redact(config.model_dump(exclude_none=True, exclude={"auth"}))
        | {"auth": {"keys_stored": len(config.auth.keys)}},
        "env": redact(env_block),
        "env_vars": {name: {"default": d, "description": desc} for name, (d, desc) in ENV_VARS.items()},
        "pull_defaults": shown_settings(resolve_pull_settings(None, config, environ)),
        "models": {
            "installed": installed,
            "loaded": [],
            "available": [
                {
                    "name": spec.name,
                    "family": spec.family,
                    "license": spec.license.id,
                    "needs_acceptance": spec.license.needs_acceptance,
                    "license_class": spec.license.category,
                    "capabilities": spec.capabilities.model_dump(),
                }
                for spec in load_registry().values()
            ],
        },
        "runners": [],
    }
    errors = [e for e in (config_error, store_error) if e]
    if errors:
        payload["errors"] = errors
    return payload


def _installed(paths: Paths) -> tuple[list[dict[str, Any]], str | None]:
    try:
        manifests = ModelStore(paths.models).list()
    except TollamaError as exc:
        return [], exc.message
    return [
        {
            "name": m.name,
            "family": m.family,
            "size_bytes": m.size_bytes,
            "pulled_at": m.pulled_at,
            "capabilities": m.capabilities.model_dump(),
        }
        for m in manifests
    ], None
