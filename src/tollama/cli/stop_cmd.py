"""``tollama stop MODEL`` / ``stop --all`` (unload, as ``ollama stop``) and ``serve --stop`` (the daemon).

Unloading sends Ollama's idiom, ``{"model": M, "keep_alive": 0}`` with no series; a model that is
busy unloads when its last request ends. Stopping the daemon is ``POST /api/shutdown``, which the
daemon accepts from loopback clients or with an API key.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tollama.cli.options import BaseUrl, Timeout, make_client
from tollama.cli.output import handle_errors
from tollama.client import Client
from tollama.core.errors import InvalidRequest


def stop(
    models: Annotated[list[str] | None, typer.Argument(help="Loaded models to unload.")] = None,
    all_models: Annotated[bool, typer.Option("--all", help="Unload every loaded model.")] = False,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
) -> None:
    """Unload models now (they stay installed); the daemon keeps running."""
    with handle_errors():
        if bool(models) == all_models:
            raise InvalidRequest("name the models to stop, or pass --all (not both); `tollama ps` lists them")
        client = make_client(base_url, timeout, 30)
        loaded = {m.name for m in client.ps().models}
        names = sorted(loaded) if all_models else list(models or [])
        for name in names:
            client.stop(name)  # a model that is not installed fails here (exit 4)
            typer.echo(f"stopped '{name}'" if name in loaded else f"'{name}' was not loaded")
        if all_models and not names:
            typer.echo("no model is loaded")


def stop_daemon(client: Client) -> None:
    """Ask the daemon at the client's URL to shut down; it drains in-flight requests first."""
    client.shutdown()
    typer.echo(f"stopping the tollama daemon at {client.base_url}")
