"""``tollama config list|get|set|unset``: the persistent defaults in ``config.json``.

The daemon reads the file on every pull, so a change applies without a restart.
Secrets are refused: tokens come from ``TOLLAMA_HF_TOKEN`` or ``--token`` only.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tollama.cli.output import handle_errors, print_json, print_table
from tollama.core.config import (
    CONFIG_KEYS,
    Paths,
    get_config_value,
    load_config,
    save_config,
    set_config_value,
)
from tollama.core.errors import InvalidRequest
from tollama.core.redaction import redact
from tollama.core.registry import closest_name, load_registry
from tollama.core.store import ModelStore

app = typer.Typer(help="Read and change persistent defaults (config.json).", no_args_is_help=True)


def _path():
    return Paths.from_env().config_file


@app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show every known key with its value."""
    with handle_errors():
        config = load_config(_path())
        values = {key: get_config_value(config, key) for key in CONFIG_KEYS}
        if as_json:
            print_json(redact(values))
            return
        print_table(
            ["KEY", "VALUE", "DESCRIPTION"],
            [[k, _shown(v), CONFIG_KEYS[k]] for k, v in redact(values).items()],
        )
        typer.echo(f"\nfile: {_path()}")


@app.command("get")
def get_cmd(key: str) -> None:
    """Print one value (empty when unset)."""
    with handle_errors():
        value = redact({key: get_config_value(load_config(_path()), key)})[key]
        typer.echo(_shown(value, unset=""))


@app.command("set")
def set_cmd(key: str, value: str) -> None:
    """Set a key (booleans take true/false)."""
    with handle_errors():
        if key == "default_model":
            _check_model_name(value)
        path = _path()
        save_config(path, set_config_value(load_config(path), key, value))
        typer.echo(f"{key} = {_shown(redact({key: value})[key])}")


@app.command("unset")
def unset_cmd(key: str) -> None:
    """Remove a key, back to its default."""
    with handle_errors():
        path = _path()
        save_config(path, set_config_value(load_config(path), key, None))
        typer.echo(f"{key} unset")


def _check_model_name(name: str) -> None:
    """A default model must be one the registry knows or one made here (``tollama create``),
    or every `tollama run` would fail later."""
    registry = load_registry()
    if name in registry or ModelStore(Paths.from_env().models).is_installed(name):
        return
    hint = closest_name(name)
    raise InvalidRequest(f"'{name}' is not in the registry; {hint}`tollama list --available` shows the names")


def _shown(value: object, unset: str = "(unset)") -> str:
    if value is None:
        return unset
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
