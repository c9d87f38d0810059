"""``tollama eval``: rolling-origin backtests of installed models, shown as a leaderboard.

Input is a JSON request (``--input``), a long CSV (``--csv``) or a benchmark by name
(``--dataset``, from the ``datasets`` extra, scored on its official test part beside the
published figures). Progress goes to stderr; the table, or ``--json``, to stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tollama.cli.options import BaseUrl, Timeout, make_client
from tollama.cli.output import err_console, handle_errors, print_json, print_table
from tollama.cli.run_files import read_csv, read_request
from tollama.client import Client
from tollama.core.errors import InvalidRequest

RESULT_FORMATS = (".csv", ".json")
PUBLISHED_SOURCE = (
    "published: fev / Chronos Benchmark II, chronos_zeroshot results (github.com/autogluon/fev, "
    "benchmarks/chronos_zeroshot/results); --json names each row's file"
)


def eval_cmd(
    models: Annotated[list[str], typer.Argument(help="Installed models to compare.")],
    input_file: Annotated[str | None, typer.Option("--input", help="JSON file holding 'series'.")] = None,
    csv_file: Annotated[str | None, typer.Option("--csv", help="Long CSV (unique_id, ds, y).")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Benchmark name, e.g. m3-quarterly.")] = None,
    horizon: Annotated[int | None, typer.Option("--horizon", help="Steps per window.")] = None,
    windows: Annotated[int, typer.Option("--windows", help="Rolling windows.")] = 1,
    step: Annotated[int | None, typer.Option("--step", help="Values between cutoffs (default: horizon).")] = None,
    metrics: Annotated[str, typer.Option("--metrics", help="Comma-separated; the first ranks.")] = "mase,smape,wql",
    quantiles: Annotated[str | None, typer.Option("--quantiles", help="Comma-separated levels.")] = None,
    series: Annotated[int | None, typer.Option("--series", help="Only the first N series.")] = None,
    freq: Annotated[str | None, typer.Option("--freq", help="Frequency of --csv data.")] = None,
    output: Annotated[str | None, typer.Option("--output", help="Write the leaderboard (.csv) or all (.json).")] = None,
    plot: Annotated[str | None, typer.Option("--plot", help="Write a PNG: one bar per model and metric.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final object as JSON.")] = False,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
) -> None:
    """Backtest MODELS and print a leaderboard (lower is better; the first metric ranks)."""
    with handle_errors():
        _check_paths(output, plot)
        if sum(x is not None for x in (input_file, csv_file, dataset)) != 1:
            raise InvalidRequest("give exactly one of --input FILE, --csv FILE or --dataset NAME")
        body = _body(input_file, csv_file, dataset, horizon, freq, series)
        body.update({"models": models, "windows": windows, "metrics": _split(metrics)})
        if step is not None:
            body["step"] = step
        if quantiles is not None:
            body["quantiles"] = _levels(quantiles)
        with make_client(base_url, timeout) as client:
            final = _run_with_progress(client, body)
        _annotate_published(final, dataset)
        if output:
            _write_output(final, output)
        if plot:
            from tollama.client.evaluation_plot import plot_leaderboard

            plot_leaderboard(final["leaderboard"], plot)
            err_console.print(f"wrote {plot}", markup=False)
        if as_json:
            print_json(final)
        else:
            _print_leaderboard(final, body["metrics"], dataset, series is not None)


def _check_paths(output: str | None, plot: str | None) -> None:
    """Fail before any work when an output cannot be written in the asked format."""
    if output is not None and Path(output).suffix.lower() not in RESULT_FORMATS:
        raise InvalidRequest(f"--output {output}: use a .csv (leaderboard) or .json (final object) file")
    if plot is not None and Path(plot).suffix.lower() != ".png":
        raise InvalidRequest(f"--plot {plot}: use a .png file")
    for path in (output, plot):
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise InvalidRequest(f"cannot write {path}: its folder does not exist")


def _body(
    input_file: str | None,
    csv_file: str | None,
    dataset: str | None,
    horizon: int | None,
    freq: str | None,
    limit: int | None,
) -> dict[str, Any]:
    if dataset is not None:
        from tollama.client.benchmarks import load_benchmark

        bench = load_benchmark(dataset, limit)
        if horizon is not None and horizon != bench.horizon:
            raise InvalidRequest(
                f"data set '{dataset}' is scored at its official horizon {bench.horizon}; drop --horizon"
            )
        return {"series": bench.series, "horizon": bench.horizon, "seasonality": bench.seasonality}
    if csv_file is not None:
        prepared = read_csv(csv_file, horizon=horizon, freq=freq, id_col="unique_id", time_col="ds", target_col="y")
        body = {"series": prepared.body["series"], "horizon": horizon}
    else:
        request = read_request(input_file)
        body = {k: v for k, v in request.items() if k in ("series", "horizon", "seasonality", "parameters", "options")}
        if horizon is not None:
            body["horizon"] = horizon
        if "horizon" not in body:
            raise InvalidRequest("no horizon: pass --horizon N or put 'horizon' in the input file")
    if limit is not None:
        body["series"] = body.get("series", [])[:limit]
    return body


def _run_with_progress(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    """Stream the evaluation, drawing model, window, series done and ETA on stderr."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    final: dict[str, Any] = {}
    series_done = 0
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("starting", total=None, visible=False)  # shown once work is under way
        for line in client.evaluate_stream(body, **_arguments(body)):
            if line.get("status") == "evaluating":
                series_done += int(line.get("series", 0))
                description = f"{line['model']} · window {line['window']} · {series_done} series forecasts done"
                progress.update(
                    task, description=description, completed=line["completed"], total=line["total"], visible=True
                )
            elif line.get("done"):
                final = line
    return final


def _arguments(body: dict[str, Any]) -> dict[str, Any]:
    """``evaluate_stream`` takes Nixtla's names; the rest of the body passes through as fields."""
    names = {"horizon": "h", "windows": "n_windows", "step": "step_size"}
    return {names.get(k, k): v for k, v in body.items() if k != "series"}


def _annotate_published(final: dict[str, Any], dataset: str | None) -> None:
    """Beside each model's figure, the published one of the same model on the same data set; and
    every published result on that data set (``final["published"]``), for the table that ranks
    this run's models among them."""
    if dataset is None:
        return
    from tollama.client.benchmarks import published_for, published_rows

    for row in final["leaderboard"]:
        for metric, value in published_for(dataset, row["model"]).items():
            row[f"published_{metric}"] = value
    final["published"] = [
        {"model": p.model, "tollama_model": p.tollama_model, "mase": p.mase, "wql": p.wql, "source": p.source}
        for p in published_rows(dataset)
    ]


def _write_output(final: dict[str, Any], output: str) -> None:
    import pandas as pd

    path = Path(output)
    temporary = path.with_name(f".{path.name}.part")
    if path.suffix.lower() == ".csv":
        pd.DataFrame(final["leaderboard"]).to_csv(temporary, index=False)
    else:
        temporary.write_text(json.dumps(final, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
    err_console.print(f"wrote {path}", markup=False)


def _print_leaderboard(final: dict[str, Any], metrics: list[str], dataset: str | None, limited: bool) -> None:
    extra = sorted({k for row in final["leaderboard"] for k in row if k.startswith("published_")})
    columns = ["RANK", "MODEL", *[m.upper() for m in metrics], *[k.replace("_", " ").upper() for k in extra]]
    columns += ["SECONDS", "SERIES", "ERROR"]
    rows = []
    for row in final["leaderboard"]:
        values = [_fmt(row.get(m)) for m in [*metrics, *extra]]
        rows.append([row["rank"], row["model"], *values, f"{row['seconds']:.1f}", row["series"], row["error"]])
    print_table(columns, rows)
    if final.get("published"):
        _print_beside_published(final, dataset or "", limited)
    for warning in final.get("warnings", [])[:10]:
        err_console.print(f"warning: {warning}", markup=False)


def _print_beside_published(final: dict[str, Any], dataset: str, limited: bool) -> None:
    """This run's models ranked among the published results on the same data set, by MASE."""
    entries = [
        (row.get("mase"), row.get("wql"), row["model"], "this run")
        for row in final["leaderboard"]
        if row.get("error") is None and row.get("mase") is not None
    ]
    entries += [(p["mase"], p["wql"], p["model"], "published") for p in final["published"] if p["mase"] is not None]
    entries.sort(key=lambda entry: entry[0])
    typer.echo(f"\nBeside the published results on {dataset} (MASE, lower is better):")
    print_table(
        ["#", "MODEL", "MASE", "WQL", "FROM"],
        [[i, name, _fmt(mase), _fmt(wql), origin] for i, (mase, wql, name, origin) in enumerate(entries, start=1)],
    )
    typer.echo(PUBLISHED_SOURCE)
    if limited:
        typer.echo("note: this run scored only the first series (--series); the published figures cover all of them")


def _fmt(value: Any) -> str:
    return "" if value is None else f"{value:.4g}"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _levels(text: str) -> list[float]:
    try:
        return [float(part) for part in _split(text)]
    except ValueError:
        raise InvalidRequest(f"--quantiles takes comma-separated numbers, not {text!r}") from None
