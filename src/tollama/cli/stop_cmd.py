"""``tollama stop MODEL`` / ``stop --all`` (unload, as ``ollama stop``) and ``serve --stop`` (the daemon).

Unloading sends Ollama's idiom, ``{"model": M, "keep_alive": 0}`` with no series; a model that is
busy unloads when its last request ends. Stopping the daemon is ``POST /api/shutdown``, which the
daemon accepts from loopback clients or with an API key; the verb returns once the daemon no
longer answers, so ``tollama serve --stop && tollama serve`` finds the port free.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from tollama.cli.options import BaseUrl, Timeout, make_client
from tollama.cli.output import handle_errors
from tollama.client import Client
from tollama.core.errors import DaemonUnreachable, ForecastTimeout, InvalidRequest, TollamaError

EXTRA_WAIT_SECONDS = 10.0  # beyond the daemon's drain grace: uvicorn's own margin, then some
POLL_SECONDS = 0.1


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


def stop_daemon(client: Client, wait_seconds: float | None = None) -> None:
    """Ask the daemon at the client's URL to shut down, and wait until it no longer answers.

    The daemon stops listening at once and lets requests in flight finish within its grace, which
    its answer names; ``wait_seconds`` (``--timeout``) overrides how long to wait for that.
    """
    grace = client.shutdown().get("grace_seconds")
    typer.echo(f"stopping the tollama daemon at {client.base_url}")
    limit = wait_seconds if wait_seconds is not None else float(grace or 0) + EXTRA_WAIT_SECONDS
    if not _gone_within(client, limit):
        raise ForecastTimeout(
            f"the daemon at {client.base_url} still answers after {limit:g}s; "
            "it exits when its requests in flight end (wait longer with --timeout)"
        )
    typer.echo("stopped" + (f"; requests in flight, if any, finish within {grace:g}s" if grace else ""))


def _gone_within(client: Client, seconds: float) -> bool:
    """Whether the daemon stops answering within ``seconds`` (it refuses connections once stopped)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            client.version()
        except DaemonUnreachable:
            return True
        except TollamaError:
            pass  # draining (503) or slow to answer: not gone yet
        time.sleep(POLL_SECONDS)
    return False
