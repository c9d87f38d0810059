"""The leaderboard as bars: one panel per metric, one bar per model, drawn headless (Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tollama.core.errors import InvalidRequest

SKIPPED = {"model", "rank", "seconds", "series", "error"}


def plot_leaderboard(rows: list[dict[str, Any]], path: str | Path | None = None) -> Figure:
    """Bars per metric (lower is better but for coverage), values written on the bars."""
    metrics = [k for k in (rows[0] if rows else {}) if k not in SKIPPED]
    scored = [r for r in rows if r.get("error") is None]
    if not metrics or not scored:
        raise InvalidRequest("nothing to plot: no model has scores")
    figure = Figure(figsize=(max(4.0, 3.2 * len(metrics)), 3.6), layout="constrained")
    FigureCanvasAgg(figure)
    names = [r["model"] for r in scored]
    for index, metric in enumerate(metrics):
        axes = figure.add_subplot(1, len(metrics), index + 1)
        values = [r.get(metric) if r.get(metric) is not None else 0.0 for r in scored]
        bars = axes.bar(range(len(names)), values, color=[f"C{i % 10}" for i in range(len(names))])
        axes.bar_label(bars, fmt="%.3g", fontsize=8)
        axes.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        axes.set_title(metric if metric == "coverage" else f"{metric} (lower is better)", fontsize=10)
    if path is not None:
        target = Path(path)
        temporary = target.with_name(f".{target.name}.part")
        figure.savefig(temporary, format="png", dpi=110)
        temporary.replace(target)
    return figure
