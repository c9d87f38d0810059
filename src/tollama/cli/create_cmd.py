"""``tollama create NAME --ensemble a,b,c | --auto a,b,c``: a model made of installed models."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tollama.cli.options import BaseUrl, Timeout, make_client
from tollama.cli.output import PullProgress, handle_errors, print_json
from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ModelManifest


def _names(value: str | None) -> list[str] | None:
    return None if value is None else [name.strip() for name in value.split(",") if name.strip()]


def create(
    model: Annotated[str, typer.Argument(help="Name of the new model.")],
    ensemble: Annotated[str | None, typer.Option("--ensemble", help="Members, comma-separated.")] = None,
    auto: Annotated[str | None, typer.Option("--auto", help="Candidates, comma-separated.")] = None,
    method: Annotated[str, typer.Option("--method", help="Ensemble: median or mean.")] = "median",
    metric: Annotated[str, typer.Option("--metric", help="Auto: the backtest score (lower wins).")] = "mase",
    windows: Annotated[int, typer.Option("--windows", help="Auto: backtest windows per series.")] = 1,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing model.")] = False,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Wait for the end, print one JSON.")] = False,
) -> None:
    """Create a derived model: an ensemble of installed models, or a per-series automatic choice."""
    with handle_errors():
        definition: dict[str, Any] = {"overwrite": overwrite}
        if (ensemble is None) == (auto is None):
            raise InvalidRequest("give exactly one of --ensemble a,b,c or --auto a,b,c")
        if ensemble is not None:
            definition["ensemble"] = {"members": _names(ensemble), "method": method}
        else:
            definition["auto"] = {"candidates": _names(auto), "metric": metric, "windows": windows}
        with make_client(base_url, timeout) as client:
            if no_stream:
                print_json(client.create(model, **definition))
                return
            with PullProgress() as progress:
                for event in client.create(model, stream=True, **definition):
                    progress.update(event)


def derived_rows(manifest: ModelManifest) -> list[list[Any]]:
    """``tollama show`` rows saying what a derived model is made of (none for other models)."""
    if manifest.ensemble is not None:
        return [["members", ", ".join(manifest.ensemble.members)], ["method", manifest.ensemble.method]]
    if manifest.auto is not None:
        return [
            ["candidates", ", ".join(manifest.auto.candidates)],
            ["metric", manifest.auto.metric],
            ["windows", manifest.auto.windows],
        ]
    return []
