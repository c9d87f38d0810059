"""Environment variables, paths and the persistent ``config.json``.

Every ``TOLLAMA_*`` variable is read here and only here, each with its default and a description
that ``tollama info`` prints (as Ollama's ``envconfig`` does).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tollama.core.errors import InvalidRequest, TollamaError
from tollama.core.files import atomic_write_text

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 11435
DEFAULT_BASE_URL = f"http://localhost:{DEFAULT_PORT}"
DEFAULT_MODEL = "auto-ets"
CONFIG_VERSION = 1
DEFAULT_NUM_PARALLEL = 4  # the runner loop's worker threads
DEFAULT_BATCH_PARALLEL = 32  # requests a batching runner may merge: enough for 16+ concurrent clients
DEFAULT_BATCH_MAX_SERIES = 1024

ENV_VARS: dict[str, tuple[str, str]] = {
    "TOLLAMA_HOME": ("~/.tollama", "base folder of config, models, runtimes and logs"),
    "TOLLAMA_HOST": (
        f"{DEFAULT_HOST}:{DEFAULT_PORT}",
        "daemon bind address host:port; also the CLI's and clients' daemon when TOLLAMA_BASE_URL is unset",
    ),
    "TOLLAMA_BASE_URL": (DEFAULT_BASE_URL, "daemon URL used by the CLI and clients (wins over TOLLAMA_HOST)"),
    "TOLLAMA_FORECAST_TIMEOUT_SECONDS": (
        "300",
        "seconds a runner may work on a request without reporting progress; the runner restarts after it",
    ),
    "TOLLAMA_FORECAST_TOTAL_TIMEOUT_SECONDS": (
        "0",
        "most seconds a forecast may take in all, progress or not (0: none)",
    ),
    "TOLLAMA_KEEP_ALIVE": ("5m", "how long an idle model stays loaded (0 unloads now, -1 never)"),
    "TOLLAMA_HF_TOKEN": ("", "Hugging Face token for gated models (never persisted)"),
    "TOLLAMA_NO_AUTOSTART": ("", "set to 1 so `tollama run` never starts a daemon"),
    "TOLLAMA_NUM_THREADS": ("", "threads per runner for numeric libraries (default: all cores)"),
    "TOLLAMA_MAX_QUEUE": ("256", "requests waiting per model before 503"),
    "TOLLAMA_MAX_LOADED_MODELS": ("0", "loaded-model cap; idle/LRU models are unloaded first (0 = no cap)"),
    "TOLLAMA_MAX_REQUEST_BYTES": (str(64 * 1024 * 1024), "largest accepted request body"),
    "TOLLAMA_API_KEY": ("", "API key clients send as a Bearer token"),
    "TOLLAMA_API_KEYS": ("", "comma-separated keys the daemon accepts"),
    "TOLLAMA_ORIGINS": ("", "extra CORS origins, comma-separated"),
    "TOLLAMA_NUM_PARALLEL": (
        "auto",
        f"requests per model sent to its runner at once; the rest wait in the queue (auto: {DEFAULT_NUM_PARALLEL}, "
        f"or {DEFAULT_BATCH_PARALLEL} for a model whose runner merges requests into batches)",
    ),
    "TOLLAMA_BATCH_WINDOW_MS": (
        "0",
        "how long a batching runner holds an idle model's first request for others to merge with it "
        "(0: merge only requests that arrive while the model is busy, adding no latency)",
    ),
    "TOLLAMA_BATCH_MAX_SERIES": (
        str(DEFAULT_BATCH_MAX_SERIES),
        "most series in one merged batch of concurrent requests (0 turns request merging off)",
    ),
    "TOLLAMA_MAX_HORIZON": ("10000", "largest horizon accepted for any model (registry limits may be lower)"),
    "TOLLAMA_MAX_SERIES": ("10000", "most series in one request (registry limits may be lower)"),
    "TOLLAMA_MAX_SERIES_LENGTH": ("1000000", "most points in one input series"),
    "TOLLAMA_MAX_QUANTILES": ("99", "most quantile levels in one request (registry limits may be lower)"),
    "TOLLAMA_SHUTDOWN_GRACE_SECONDS": ("10", "on SIGTERM, how long in-flight requests may finish before 503"),
    "TOLLAMA_MAX_BODY_BYTES_IN_FLIGHT": (
        str(128 * 1024 * 1024),
        "request-body bytes held at once across requests; the excess waits, then gets 503 with Retry-After",
    ),
    "TOLLAMA_HEADER_TIMEOUT_SECONDS": ("10", "a connection whose request headers take longer is closed"),
    "TOLLAMA_BODY_TIMEOUT_SECONDS": ("30", "a request body that stops arriving this long gets 408"),
    "TOLLAMA_MAX_CONNECTIONS": ("1024", "open connections (and requests) at once; the excess gets 503"),
    "TOLLAMA_RUNTIMES_DIR": ("", "runtimes folder (default: $TOLLAMA_HOME/runtimes); shareable across homes"),
    "TOLLAMA_RUNTIME_INSTALLER": ("auto", "tool that builds runtimes: auto (uv when found, else pip), uv or pip"),
    "TOLLAMA_RUNTIME_EXTRA_STEPS": ("", 'JSON {"family": [["pip", "args"], ...]} appended to runtime recipes'),
}
RUNTIME_INSTALLERS = ("auto", "uv", "pip")


def env(name: str, environ: dict[str, str] | None = None) -> str:
    """Value of a documented variable, or its default."""
    source = os.environ if environ is None else environ
    value = source.get(name, "")
    return value if value != "" else ENV_VARS[name][0]


def env_is_set(name: str, environ: dict[str, str] | None = None) -> bool:
    source = os.environ if environ is None else environ
    return source.get(name, "") != ""


@dataclass(frozen=True)
class Paths:
    """Where local state lives; everything hangs off one home folder."""

    home: Path
    runtimes_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        runtimes = env("TOLLAMA_RUNTIMES_DIR", environ)
        return cls(
            Path(env("TOLLAMA_HOME", environ)).expanduser().resolve(),
            Path(runtimes).expanduser().resolve() if runtimes else None,
        )

    @property
    def config_file(self) -> Path:
        return self.home / "config.json"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def runtimes(self) -> Path:
        return self.runtimes_dir or self.home / "runtimes"

    @property
    def logs(self) -> Path:
        return self.home / "logs"


def parse_host(value: str) -> tuple[str, int]:
    """``host:port`` (or ``host`` / ``:port``, with or without ``http://``) into a bind address."""
    value = value.strip().partition("://")[2].rstrip("/") if "://" in value else value.strip()
    with contextlib.suppress(ValueError):
        return str(ipaddress.IPv6Address(value.strip("[]"))), DEFAULT_PORT  # bare IPv6, no port
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    host = host.strip("[]") or DEFAULT_HOST
    try:
        return host, int(port) if port else DEFAULT_PORT
    except ValueError as exc:
        raise InvalidRequest(f"TOLLAMA_HOST={value!r} is not host:port") from exc


def host_to_url(value: str) -> str:
    """A client's URL for ``TOLLAMA_HOST`` as Ollama's CLI reads ``OLLAMA_HOST``.

    ``0.0.0.0`` / ``::`` (listen everywhere) are reached at loopback; a bare host gets the default
    port, ``:port`` the default host, and a scheme is kept (``https://host`` alone means port 443,
    a TLS proxy in front of the daemon).
    """
    scheme = value.strip().partition("://")[0].lower() if "://" in value else "http"
    host, port = parse_host(value)
    if scheme == "https" and not re.search(r":\d+/?$", value.strip()):
        port = 443
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def forecast_timeout_seconds(environ: dict[str, str] | None = None) -> float:
    raw = env("TOLLAMA_FORECAST_TIMEOUT_SECONDS", environ)
    try:
        value = float(raw)
    except ValueError as exc:
        raise InvalidRequest(f"TOLLAMA_FORECAST_TIMEOUT_SECONDS={raw!r} is not a number") from exc
    if value <= 0:
        raise InvalidRequest("TOLLAMA_FORECAST_TIMEOUT_SECONDS must be positive")
    return value


def forecast_total_timeout_seconds(environ: dict[str, str] | None = None) -> float | None:
    """``TOLLAMA_FORECAST_TOTAL_TIMEOUT_SECONDS``: a bound on a forecast however it progresses, or None."""
    value = float_env("TOLLAMA_FORECAST_TOTAL_TIMEOUT_SECONDS", environ)
    return value or None


def int_env(name: str, environ: dict[str, str] | None = None, minimum: int | None = None) -> int:
    raw = env(name, environ)
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidRequest(f"{name}={raw!r} is not an integer") from exc
    if minimum is not None and value < minimum:
        raise InvalidRequest(f"{name}={raw!r} must be at least {minimum}")
    return value


def float_env(name: str, environ: dict[str, str] | None = None) -> float:
    raw = env(name, environ)
    try:
        value = float(raw)
    except ValueError as exc:
        raise InvalidRequest(f"{name}={raw!r} is not a number") from exc
    if value < 0:
        raise InvalidRequest(f"{name}={raw!r} must not be negative")
    return value


def num_parallel(environ: dict[str, str] | None = None) -> tuple[int, int]:
    """``TOLLAMA_NUM_PARALLEL`` as (requests at once per model, the same for a batching model)."""
    if env("TOLLAMA_NUM_PARALLEL", environ).strip().lower() == "auto":
        return DEFAULT_NUM_PARALLEL, DEFAULT_BATCH_PARALLEL
    value = int_env("TOLLAMA_NUM_PARALLEL", environ, minimum=1)
    return value, value


@dataclass(frozen=True)
class BatchSettings:
    """How a runner merges concurrent requests for one model (read by runners, shown by info)."""

    window_seconds: float = 0.0
    max_series: int = DEFAULT_BATCH_MAX_SERIES

    @property
    def enabled(self) -> bool:
        return self.max_series > 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> BatchSettings:
        return cls(
            window_seconds=float_env("TOLLAMA_BATCH_WINDOW_MS", environ) / 1000.0,
            max_series=int_env("TOLLAMA_BATCH_MAX_SERIES", environ, minimum=0),
        )


def list_env(name: str, environ: dict[str, str] | None = None) -> list[str]:
    """A comma-separated variable as a list, blanks dropped."""
    return [part.strip() for part in env(name, environ).split(",") if part.strip()]


def is_loopback_host(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def runtime_installer(environ: dict[str, str] | None = None) -> str:
    value = env("TOLLAMA_RUNTIME_INSTALLER", environ).strip().lower()
    if value not in RUNTIME_INSTALLERS:
        raise InvalidRequest(f"TOLLAMA_RUNTIME_INSTALLER={value!r} is not one of {', '.join(RUNTIME_INSTALLERS)}")
    return value


def runtime_extra_steps(environ: dict[str, str] | None = None) -> dict[str, list[list[str]]]:
    """Pip steps appended to family recipes: ``{"torch": [["--no-deps", "pkg==1.0"]]}``."""
    raw = env("TOLLAMA_RUNTIME_EXTRA_STEPS", environ)
    if not raw:
        return {}
    problem = "must be a JSON object mapping a family to a list of steps (lists of pip arguments)"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"TOLLAMA_RUNTIME_EXTRA_STEPS is not valid JSON ({exc.msg}); it {problem}") from exc
    valid = isinstance(data, dict) and all(
        isinstance(steps, list)
        and all(isinstance(step, list) and step and all(isinstance(a, str) for a in step) for step in steps)
        for steps in data.values()
    )
    if not valid:
        raise InvalidRequest(f"TOLLAMA_RUNTIME_EXTRA_STEPS {problem}")
    return data


# --- config.json ---------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PullConfig(_Section):
    https_proxy: str | None = None
    http_proxy: str | None = None
    no_proxy: str | None = None
    hf_home: str | None = None
    offline: bool | None = None
    # A pull request may choose hf_home and proxies only when this is true (and hf_home only
    # inside ``allowed_roots``, comma-separated; default: TOLLAMA_HOME and ~/.cache/huggingface).
    allow_request_settings: bool | None = None
    allowed_roots: str | None = None


class DaemonConfig(_Section):
    auto_bootstrap: bool = True


class McpConfig(_Section):
    allow_pull: bool = False


class ApiKeyRecord(_Section):
    """An API key the daemon accepts, kept as its SHA-256 only (``tollama key add``)."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: str


class AuthConfig(_Section):
    keys: list[ApiKeyRecord] = Field(default_factory=list)


class TollamaConfig(_Section):
    version: int = CONFIG_VERSION
    default_model: str | None = None
    license_policy: Literal["any", "commercial"] = "any"  # see core/license_policy.py
    pull: PullConfig = Field(default_factory=PullConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)


CONFIG_KEYS: dict[str, str] = {
    "default_model": "model served when a request names none",
    "license_policy": "any, or commercial: refuse non-commercial and revenue-capped weights",
    "pull.https_proxy": "proxy for HTTPS pulls",
    "pull.http_proxy": "proxy for HTTP pulls",
    "pull.no_proxy": "hosts that bypass the proxy",
    "pull.hf_home": "Hugging Face cache home used by pulls",
    "pull.offline": "pull from the local cache only (true/false)",
    "pull.allow_request_settings": "let a pull request choose hf_home and proxies (true/false; default false)",
    "pull.allowed_roots": "folders (comma-separated) a request's hf_home must lie in",
    "daemon.auto_bootstrap": "build per-family runtimes on first use (true/false)",
    "mcp.allow_pull": "let MCP agents pull models (true/false)",
}
_BOOL_KEYS = frozenset({"pull.offline", "pull.allow_request_settings", "daemon.auto_bootstrap", "mcp.allow_pull"})
_SECRET_WORDS = ("token", "password", "secret", "api_key")


def load_config(path: Path) -> TollamaConfig:
    """Read config.json; a missing file is the default, a broken one a clear error."""
    if not path.exists():
        return TollamaConfig()
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
        return TollamaConfig.model_validate(data)
    except (json.JSONDecodeError, ValidationError, UnicodeDecodeError, OSError) as exc:
        first = _first_error(exc) if isinstance(exc, ValidationError) else str(exc).splitlines()[0]
        raise InvalidRequest(f"config file {path} is invalid ({first}); fix or delete it") from exc


def save_config(path: Path, config: TollamaConfig) -> None:
    """Write config.json atomically; a full disk or a read-only folder is one clear error."""
    try:
        atomic_write_text(path, config.model_dump_json(indent=2, exclude_none=True) + "\n")
    except OSError as exc:
        raise TollamaError(
            f"cannot write config file {path} ({exc.strerror or exc}); the old file is unchanged: "
            "free some disk space or check the folder's permissions"
        ) from None


def get_config_value(config: TollamaConfig, key: str) -> Any:
    _check_key(key)
    node: Any = config
    for part in key.split("."):
        node = getattr(node, part)
    return node


def set_config_value(config: TollamaConfig, key: str, value: str | None) -> TollamaConfig:
    """Return a copy with ``key`` set from its string form (``None`` unsets it)."""
    _check_key(key)
    data = config.model_dump()
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[leaf] = _parse_value(key, value) if value is not None else None
    try:
        return TollamaConfig.model_validate(_drop_none_defaults(data))
    except ValidationError as exc:
        raise InvalidRequest(f"invalid value for {key}: {_first_error(exc)}") from exc


def _check_key(key: str) -> None:
    if any(word in key.lower() for word in _SECRET_WORDS):
        raise InvalidRequest(f"'{key}' is a secret and is never written to config; use TOLLAMA_HF_TOKEN or --token")
    if key not in CONFIG_KEYS:
        raise InvalidRequest(f"unknown config key '{key}'; known keys: {', '.join(CONFIG_KEYS)}")


def _parse_value(key: str, value: str) -> Any:
    if key not in _BOOL_KEYS:
        return value
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise InvalidRequest(f"{key} takes true or false, not {value!r}")


def _drop_none_defaults(data: dict[str, Any]) -> dict[str, Any]:
    daemon = data.get("daemon", {})
    if daemon.get("auto_bootstrap") is None:
        daemon.pop("auto_bootstrap", None)
    mcp = data.get("mcp", {})
    if mcp.get("allow_pull") is None:
        mcp.pop("allow_pull", None)
    if data.get("license_policy") is None:
        data.pop("license_policy", None)
    return data


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        return f"{loc}: {err['msg']}" if loc else err["msg"]
    return str(exc).splitlines()[0]
