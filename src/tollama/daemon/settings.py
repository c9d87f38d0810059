"""The daemon's settings, read once from the environment at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from tollama.core.config import (
    Paths,
    TollamaConfig,
    env,
    forecast_timeout_seconds,
    load_config,
    parse_host,
    runtime_extra_steps,
    runtime_installer,
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
    runtime_installer: str = "auto"
    runtime_extra_steps: dict[str, list[list[str]]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DaemonSettings:
        host, port = parse_host(env("TOLLAMA_HOST", environ))
        return cls(
            paths=Paths.from_env(environ),
            host=host,
            port=port,
            forecast_timeout=forecast_timeout_seconds(environ),
            keep_alive=parse_keep_alive(env("TOLLAMA_KEEP_ALIVE", environ), DEFAULT_KEEP_ALIVE_SECONDS),
            runtime_installer=runtime_installer(environ),
            runtime_extra_steps=runtime_extra_steps(environ),
        )

    def config(self) -> TollamaConfig:
        """config.json as it is now (``tollama config set`` may change it while we run)."""
        return load_config(self.paths.config_file)
