"""``tollama runtime list|install|rm``: the per-family virtualenvs runners run from.

``install`` and ``rm`` go through the daemon, the one owner of runtimes and runners (it builds
under one lock, streams progress, and restarts a runner whose runtime changed). ``list`` asks
the daemon, or reads the runtimes folder itself when no daemon answers.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tollama.cli.options import BaseUrl, JsonOut, Timeout, make_client
from tollama.cli.output import PullProgress, err_console, handle_errors, human_size, print_json, print_table
from tollama.core.errors import DaemonUnreachable
from tollama.core.schemas import RuntimeInfo

app = typer.Typer(help="Per-family runtimes: the virtualenvs runners run from.", no_args_is_help=True)


@app.command("list")
def list_cmd(base_url: BaseUrl = None, as_json: JsonOut = False, timeout: Timeout = None) -> None:
    """Show each family's runtime: status, python, extra, tollama version, size."""
    with handle_errors():
        try:
            runtimes = make_client(base_url, timeout, 10).runtimes().runtimes
        except DaemonUnreachable:
            runtimes = _local_runtimes()
        if as_json:
            print_json({"runtimes": [r.model_dump() for r in runtimes]})
            return
        print_table(
            ["FAMILY", "STATUS", "PYTHON", "EXTRA", "TOLLAMA", "SIZE"],
            [
                [r.family, r.status, _python(r), r.extra or "-", r.tollama_version or "-", human_size(r.size_bytes)]
                for r in runtimes
            ],
        )


@app.command("install")
def install(
    family: Annotated[str, typer.Argument(help="Runner family, e.g. torch, timesfm, mock.")],
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when up to date.")] = False,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
) -> None:
    """Build (or rebuild) a family's runtime now instead of on its first use."""
    with handle_errors():
        final: dict = {}
        with PullProgress() as progress:
            for event in make_client(base_url, timeout).install_runtime(family, stream=True, force=force):
                final = event
                if not event.get("done"):
                    progress.update(event)
        runtime = RuntimeInfo.model_validate(final.get("runtime") or {"family": family})
        typer.echo(f"{family} runtime {runtime.status}: {runtime.python}")


@app.command("rm")
def rm(families: list[str], base_url: BaseUrl = None, timeout: Timeout = None) -> None:
    """Remove runtimes (their runners stop; heavy families rebuild on next use)."""
    with handle_errors():
        client = make_client(base_url, timeout)
        for family in families:
            removed = client.remove_runtime(family).get("removed")
            typer.echo(f"removed the {family} runtime" if removed else f"no {family} runtime to remove")


def _python(runtime: RuntimeInfo) -> str:
    """The interpreter the family runs with now; ``(daemon)`` when it is the daemon's own."""
    return runtime.python if runtime.uses_runtime else f"{runtime.python} (daemon)"


def _local_runtimes() -> list[RuntimeInfo]:
    from tollama.daemon.runtimes import RuntimeManager
    from tollama.daemon.settings import DaemonSettings

    err_console.print("Warning: no daemon answered; showing the runtimes folder")
    return RuntimeManager.from_settings(DaemonSettings.from_env()).describe_all()
