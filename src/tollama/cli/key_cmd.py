"""``tollama key add|list|rm``: the API keys the daemon accepts (needed to listen beyond loopback).

``add`` prints the new key once, alone on stdout (for scripts); config.json keeps only its
SHA-256. The daemon re-reads the keys when config.json changes, so no restart is needed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tollama.cli.output import err_console, handle_errors, print_json, print_table
from tollama.core.api_keys import add_key, key_id, remove_key
from tollama.core.config import Paths, load_config

app = typer.Typer(help="Manage the API keys the daemon accepts.", no_args_is_help=True)


def _path():
    return Paths.from_env().config_file


@app.command("add")
def add_cmd(name: Annotated[str, typer.Argument(help="A label for the key.")] = "default") -> None:
    """Create a key and print it once; clients send it as TOLLAMA_API_KEY."""
    with handle_errors():
        key, record = add_key(_path(), name)
        typer.echo(key)
        err_console.print(
            f"Created API key '{record.name}' (id {key_id(record)}). This is the only time it is shown: "
            "tollama keeps its SHA-256 only.\nClients send `Authorization: Bearer <key>`; "
            "the CLI and Python client read it from TOLLAMA_API_KEY.",
            markup=False,
        )


@app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the stored keys by name and id (never the keys themselves)."""
    with handle_errors():
        records = load_config(_path()).auth.keys
        rows = [{"name": r.name, "id": key_id(r), "created_at": r.created_at} for r in records]
        if as_json:
            print_json(rows)
            return
        print_table(["NAME", "ID", "CREATED"], [[r["name"], r["id"], r["created_at"]] for r in rows])


@app.command("rm")
def rm_cmd(name_or_id: Annotated[str, typer.Argument(help="The key's name or id (`tollama key list`).")]) -> None:
    """Revoke a key; the daemon stops accepting it at once."""
    with handle_errors():
        record = remove_key(_path(), name_or_id)
        typer.echo(f"removed API key '{record.name}' (id {key_id(record)})")
