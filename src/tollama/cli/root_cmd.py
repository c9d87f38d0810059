"""What users type before any verb, from Ollama's and other CLIs' habits.

``tollama --version`` / ``-v`` prints the version (the ``version`` verb also asks the daemon);
``-h`` is ``--help``; ``tollama help [VERB ...]`` prints the same help as ``VERB --help``.
Shell completion comes from Typer: ``tollama --install-completion`` (or ``--show-completion``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from tollama import __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tollama version {__version__}")
        raise typer.Exit()


def root_options(
    version: Annotated[
        bool,
        typer.Option("--version", "-v", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Local-first forecasting with time-series foundation models."""


def help_cmd(
    ctx: typer.Context,
    verbs: Annotated[list[str] | None, typer.Argument(help="A verb and sub-verb, e.g. `run`, `config set`.")] = None,
) -> None:
    """Help for tollama, or for one verb (the same as `tollama VERB --help`)."""
    context = ctx.find_root()
    command = context.command
    for name in verbs or []:
        # Typer vendors click, so groups are recognised by what they do, not by click's classes.
        sub = command.get_command(context, name) if hasattr(command, "get_command") else None
        if sub is None:
            typer.echo(f"Error: no such command '{name}'; `tollama --help` lists them", err=True)
            raise typer.Exit(2)
        command = sub
        context = type(context)(command, info_name=name, parent=context)
    typer.echo(command.get_help(context))
