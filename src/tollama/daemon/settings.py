"""The daemon's settings, read once from the environment at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from tollama.core.config import (
    DEFAULT_BATCH_PARALLEL,
    DEFAULT_NUM_PARALLEL,
    BatchSettings,
    Paths,
    TollamaConfig,
    env,
    float_env,
    forecast_timeout_seconds,
    forecast_total_timeout_seconds,
    int_env,
    list_env,
    load_config,
    num_parallel,
    parse_host,
    runtime_extra_steps,
    runtime_installer,
)
from tollama.core.durations import parse_keep_alive
from tollama.core.errors import InvalidRequest
from tollama.daemon.admission import DEFAULT_MAX_QUEUE
from tollama.daemon.limits import RequestLimits

DEFAULT_KEEP_ALIVE_SECONDS = 300.0
logger = logging.getLogger("tollama.daemon")


@dataclass(frozen=True)
class DaemonSettings:
    paths: Paths
    host: str
    port: int
    forecast_timeout: float  # without progress
    keep_alive: float
    forecast_total_timeout: float | None = None  # in all, progress or not
    num_parallel: int = DEFAULT_NUM_PARALLEL
    batch_parallel: int = DEFAULT_BATCH_PARALLEL  # for models whose runner merges requests
    batching: BatchSettings = field(default_factory=BatchSettings)  # runners read the same variables
    max_queue: int = DEFAULT_MAX_QUEUE
    max_loaded_models: int = 0
    limits: RequestLimits = field(default_factory=RequestLimits)
    api_keys: tuple[str, ...] = field(default=(), repr=False)  # plain keys: never printed
    origins: tuple[str, ...] = ()
    shutdown_grace: float = 10.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1024
    max_body_bytes_in_flight: int = 128 * 1024 * 1024
    runtime_installer: str = "auto"
    runtime_extra_steps: dict[str, list[list[str]]] = field(default_factory=dict)
    _config_cache: dict[Path, tuple[tuple[int, int, int] | None, TollamaConfig]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DaemonSettings:
        host, port = parse_host(env("TOLLAMA_HOST", environ))
        parallel, batch_parallel = num_parallel(environ)
        return cls(
            paths=Paths.from_env(environ),
            host=host,
            port=port,
            forecast_timeout=forecast_timeout_seconds(environ),
            forecast_total_timeout=forecast_total_timeout_seconds(environ),
            keep_alive=parse_keep_alive(env("TOLLAMA_KEEP_ALIVE", environ), DEFAULT_KEEP_ALIVE_SECONDS),
            num_parallel=parallel,
            batch_parallel=batch_parallel,
            batching=BatchSettings.from_env(environ),  # refuses bad values before any runner starts
            max_queue=int_env("TOLLAMA_MAX_QUEUE", environ, minimum=0),
            max_loaded_models=int_env("TOLLAMA_MAX_LOADED_MODELS", environ, minimum=0),
            limits=RequestLimits(
                max_request_bytes=int_env("TOLLAMA_MAX_REQUEST_BYTES", environ, minimum=1),
                max_horizon=int_env("TOLLAMA_MAX_HORIZON", environ, minimum=1),
                max_series=int_env("TOLLAMA_MAX_SERIES", environ, minimum=1),
                max_series_length=int_env("TOLLAMA_MAX_SERIES_LENGTH", environ, minimum=1),
                max_quantiles=int_env("TOLLAMA_MAX_QUANTILES", environ, minimum=0),
            ),
            api_keys=tuple(list_env("TOLLAMA_API_KEYS", environ)),
            origins=tuple(list_env("TOLLAMA_ORIGINS", environ)),
            shutdown_grace=float_env("TOLLAMA_SHUTDOWN_GRACE_SECONDS", environ),
            header_timeout=float_env("TOLLAMA_HEADER_TIMEOUT_SECONDS", environ),
            body_timeout=float_env("TOLLAMA_BODY_TIMEOUT_SECONDS", environ),
            max_connections=int_env("TOLLAMA_MAX_CONNECTIONS", environ, minimum=1),
            max_body_bytes_in_flight=int_env("TOLLAMA_MAX_BODY_BYTES_IN_FLIGHT", environ, minimum=1),
            runtime_installer=runtime_installer(environ),
            runtime_extra_steps=runtime_extra_steps(environ),
        )

    def config(self) -> TollamaConfig:
        """config.json as it is now (``tollama config set`` may change it while we run).

        Read on every forecast, so it is parsed again only when the file changed (a stat); the
        object returned is shared until then: read it, never change it.
        """
        path = self.paths.config_file
        try:
            st = path.stat()
            stamp: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        known = self._config_cache.get(path)
        if known is None or known[0] != stamp or stamp is None:
            try:
                known = (stamp, load_config(path))
            except InvalidRequest as exc:
                if known is None:
                    raise  # at start-up: one clear error, the daemon does not start
                # Changed under a running daemon (a bad edit, a half-written file): serve on.
                logger.warning("%s; keeping the config read before until it is fixed", exc.message)
                known = (stamp, known[1])
            if stamp is not None:
                self._config_cache[path] = known
        return known[1]
