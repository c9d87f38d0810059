"""``tollama batch``: forecast every series of CSV/Parquet files into a folder of Parquet files."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from tollama.cli.autostart import autostart_disabled, is_loopback_url, start_daemon
from tollama.cli.output import err_console, handle_errors, print_json, print_table
from tollama.client import Client
from tollama.core.errors import DaemonUnreachable, InvalidRequest


def batch(
    model: Annotated[str, typer.Argument(help="Model to forecast with (installed).")],
    input: Annotated[str, typer.Option("--input", help="A CSV or Parquet file, or a folder of them (long format).")],
    output: Annotated[str, typer.Option("--output", help="Folder for the Parquet forecasts.")],
    horizon: Annotated[int, typer.Option("--horizon", help="Steps to forecast.")],
    quantiles: Annotated[str | None, typer.Option("--quantiles", help="Levels, e.g. 0.1,0.5,0.9.")] = None,
    freq: Annotated[str | None, typer.Option("--freq", help="Frequency (inferred if left out).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (the daemon) or ray.")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster (default: a local one).")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Ray actors (one CPU each).")] = 1,
    chunk_series: Annotated[int, typer.Option("--chunk-series", help="Series per chunk (and per request).")] = 1000,
    options: Annotated[str | None, typer.Option("--options", help="The request's options, as JSON.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace another job's files in --output.")] = False,
    no_autostart: Annotated[bool, typer.Option("--no-autostart", help="Never start a daemon.")] = False,
    base_url: Annotated[str | None, typer.Option("--base-url", envvar="TOLLAMA_BASE_URL", help="Daemon URL.")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds to wait for each chunk.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Forecast every series of a file-sized input; a rerun resumes a killed job."""
    from tollama.batch import forecast_files

    with handle_errors():
        levels = _levels(quantiles)
        extra = _options(options)
        if engine == "local":
            autostart = not (no_autostart or autostart_disabled())
            _ensure_daemon(Client(base_url=base_url, timeout=timeout), model, autostart)
        summary = forecast_files(
            model, input, output, horizon=horizon, quantiles=levels, freq=freq, options=extra, engine=engine,
            address=address, workers=workers, chunk_series=chunk_series, overwrite=overwrite, base_url=base_url,
            timeout=timeout, console=err_console,
        )  # fmt: skip
        if as_json:
            print_json(summary.as_dict())
            return
        print_table(
            ["SERIES", "FAILED", "CHUNKS", "RESUMED", "SECONDS", "OUTPUT"],
            [[summary.series, summary.failed, summary.chunks, summary.resumed_chunks, summary.seconds, summary.output]],
        )
        if summary.failed:
            err_console.print(f"{summary.failed} series failed; their errors are in {summary.errors_file}")


def _ensure_daemon(client: Client, model: str, autostart: bool) -> None:
    """A reachable daemon (started on loopback if allowed) that has the model: fail before reading data."""
    try:
        client.show(model)
    except DaemonUnreachable:
        if not (autostart and is_loopback_url(client.base_url)):
            raise
        log = start_daemon(client)
        err_console.print(f"Started tollama daemon at {client.base_url} (log: {log})")
        client.show(model)


def _levels(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InvalidRequest(f"--quantiles takes comma-separated numbers, not {text!r}") from None


def _options(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"--options is not valid JSON ({exc.msg}); e.g. --options '{{\"key\": 1}}'") from None
    if not isinstance(value, dict):
        raise InvalidRequest("--options must be a JSON object, e.g. --options '{\"key\": 1}'")
    return value
