"""The daemon's settings, read once from the environment at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from tollama.core.config import (
    Paths,
    TollamaConfig,
    env,
    forecast_timeout_seconds,
    load_config,
    parse_host,
)
from tollama.core.durations import parse_keep_alive

DEFAULT_KEEP_ALIVE_SECONDS = 300.0


@dataclass(frozen=True)
class DaemonSettings:
    paths: Paths
    host: str
    port: int
    forecast_timeout: float
    keep_alive: float

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DaemonSettings:
        host, port = parse_host(env("TOLLAMA_HOST", environ))
        return cls(
            paths=Paths.from_env(environ),
            host=host,
            port=port,
            forecast_timeout=forecast_timeout_seconds(environ),
            keep_alive=parse_keep_alive(env("TOLLAMA_KEEP_ALIVE", environ), DEFAULT_KEEP_ALIVE_SECONDS),
        )

    def config(self) -> TollamaConfig:
        """config.json as it is now (``tollama config set`` may change it while we run)."""
        return load_config(self.paths.config_file)
