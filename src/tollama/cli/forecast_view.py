"""The human view of a forecast: one table per series, metrics, warnings on stderr."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from tollama.cli.output import console, err_console

MAX_ROWS_PER_SERIES = 48


def print_forecast(response: dict[str, Any]) -> None:
    for forecast in response.get("forecasts", []):
        _print_series(response.get("model", ""), forecast)
    metrics = response.get("metrics")
    if metrics:
        table = Table(title="metrics", box=None, header_style="bold")
        names = list(metrics.get("aggregate", {}))
        table.add_column("SERIES")
        for name in names:
            table.add_column(name.upper(), justify="right")
        for row in metrics.get("series", []):
            table.add_row(row["id"], *[_fmt(row["values"].get(n)) for n in names])
        table.add_row("(all)", *[_fmt(metrics["aggregate"].get(n)) for n in names])
        console.print(table)
    for warning in response.get("warnings") or []:
        err_console.print(f"warning: {warning}", markup=False)


def _print_series(model: str, forecast: dict[str, Any]) -> None:
    mean = forecast.get("mean", [])
    quantiles = forecast.get("quantiles") or {}
    steps = forecast.get("timestamps") or [f"t+{i + 1}" for i in range(len(mean))]
    table = Table(title=f"{forecast.get('id')} ({model})", box=None, header_style="bold", title_justify="left")
    table.add_column("STEP")
    table.add_column("MEAN", justify="right")
    for level in quantiles:
        table.add_column(f"Q{level}", justify="right")
    for i, step in enumerate(steps[:MAX_ROWS_PER_SERIES]):
        table.add_row(str(step), _fmt(mean[i]), *[_fmt(values[i]) for values in quantiles.values()])
    if len(steps) > MAX_ROWS_PER_SERIES:
        table.add_row(f"... {len(steps) - MAX_ROWS_PER_SERIES} more steps (use --json)", "")
    console.print(table)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.4g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:,.3f}".rstrip("0").rstrip(".")
