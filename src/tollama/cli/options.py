"""Options every daemon-talking verb takes, so ``tollama VERB --base-url URL --timeout N`` always works.

Scripts written for other tollama clients (the OpenClaw skill passes ``--timeout`` to ``list``,
``show``, ``pull``, ``rm``, ``ps`` and ``info``) must not fail on an option one verb lacks, so
the options live here once and each verb declares them with the same names and help.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tollama.client import Client

BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="TOLLAMA_BASE_URL",
        help="Daemon URL (default: TOLLAMA_HOST, else http://localhost:11435).",
        show_envvar=True,
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", min=0.001, help="Seconds to wait for the daemon's answer (default: 310)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def make_client(base_url: str | None, timeout: float | None, default_timeout: float | None = None) -> Client:
    """A client for one verb: ``--timeout`` wins over the verb's own default."""
    return Client(base_url=base_url, timeout=timeout if timeout is not None else default_timeout)
