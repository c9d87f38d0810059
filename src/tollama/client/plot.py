"""Forecast plots: history, median (or mean) and a quantile fan per series, drawn headless.

The figure is built on matplotlib's Agg canvas directly, never through pyplot, so it works on
servers without a display and leaves the caller's pyplot state and backend alone.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from tollama.core.errors import InvalidRequest

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from tollama.client.frames import ForecastResult

FIGURE_WIDTH_INCHES = 10.0
PANEL_HEIGHT_INCHES = 3.0
FAN_COLOR = "C0"


class ForecastFigure(Figure):
    """A matplotlib ``Figure`` that Jupyter shows inline as a PNG when it is a cell's value.

    The figure is never registered with pyplot (so it does not show twice, and scripts keep
    their backend); IPython instead calls ``_repr_png_``, as it does for any object.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def plot_forecast(
    result: ForecastResult,
    path: str | Path | None = None,
    *,
    max_series: int = 4,
    max_history: int | None = 200,
    dpi: int = 100,
) -> ForecastFigure:
    """One panel per series (the first ``max_series``), stacked; saved to ``path`` when given.

    The image is ``10 x 3·n`` inches at ``dpi`` (1000 x 300·n pixels by default).
    """
    if max_series < 1:
        raise InvalidRequest(f"max_series must be at least 1, not {max_series}")
    columns = result.prepared.columns
    forecast = result.df
    ids = list(dict.fromkeys(forecast[columns.id]))
    shown = ids[:max_series]
    figure = ForecastFigure(
        figsize=(FIGURE_WIDTH_INCHES, PANEL_HEIGHT_INCHES * len(shown)), dpi=dpi, layout="constrained"
    )
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(shown), 1, squeeze=False)[:, 0]
    history = result.history
    for ax, series_id in zip(axes, shown, strict=True):
        past = history[history[columns.id] == series_id]
        if max_history is not None:
            past = past.tail(max_history)
        future = forecast[forecast[columns.id] == series_id]
        _draw_series(ax, past[columns.time], past[columns.target], future, columns.time)
        ax.set_title(f"{series_id} ({result.response.model})", loc="left", fontsize="medium")
    axes[0].legend(loc="upper left", fontsize="small", ncols=4)
    if len(ids) > len(shown):
        figure.suptitle(f"first {len(shown)} of {len(ids)} series", fontsize="small")
    if path is not None:
        figure.savefig(path)
    return figure


def _draw_series(ax: Axes, past_times: pd.Series, past_values: pd.Series, future: pd.DataFrame, time_col: str) -> None:
    times = future[time_col]
    ax.plot(past_times, past_values, color="0.25", linewidth=1.2, label="history")
    for low, high, alpha in _fan(list(future.columns)):
        band = f"{low}-{high}"
        ax.fill_between(times, future[low], future[high], color=FAN_COLOR, alpha=alpha, linewidth=0, label=band)
    center = "q0.5" if "q0.5" in future.columns else "mean"
    ax.plot(times, future[center], color=FAN_COLOR, linewidth=1.6, label="median" if center == "q0.5" else "mean")
    if pd.api.types.is_datetime64_any_dtype(times):
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)


def _fan(columns: list[str]) -> list[tuple[str, str, float]]:
    """Symmetric quantile pairs, outermost first, each band darker than the one around it."""
    levels = sorted(float(c[1:]) for c in columns if c.startswith("q") and c[1:].replace(".", "", 1).isdigit())
    pairs = []
    while len(levels) >= 2 and levels[0] < 0.5 < levels[-1]:
        pairs.append((f"q{levels.pop(0)!r}", f"q{levels.pop()!r}"))
    return [(low, high, 0.15 + 0.2 * i / max(len(pairs), 1)) for i, (low, high) in enumerate(pairs)]
