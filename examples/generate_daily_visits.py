"""Write ``examples/daily_visits.json``: two SYNTHETIC daily series (not a real dataset).

Deterministic (fixed seed): a weekly cycle (busier weekends), a yearly swing, a slow trend and
noise, rounded to whole visits, for 2024. The ``park`` series has a three-day outage (``null``)
to show gap filling. Run ``python examples/generate_daily_visits.py`` to regenerate the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240101
DAYS = pd.date_range("2024-01-01", "2024-12-31", freq="D")
OUTAGE = slice(200, 203)


def visits(rng: np.random.Generator, level: float, weekend_lift: float, summer_lift: float) -> list[float | None]:
    t = np.arange(len(DAYS))
    weekly = np.where(DAYS.dayofweek >= 5, weekend_lift, 0.0)
    yearly = summer_lift * np.sin(2 * np.pi * (t - 80) / 366)
    trend = 0.05 * t
    noise = rng.normal(0, 0.06 * level, len(t))
    return [float(v) for v in np.round(np.maximum(level + weekly + yearly + trend + noise, 0))]


def main() -> None:
    rng = np.random.default_rng(SEED)
    museum = visits(rng, level=420, weekend_lift=180, summer_lift=60)
    park: list[float | None] = list(visits(rng, level=900, weekend_lift=500, summer_lift=350))
    park[OUTAGE] = [None] * (OUTAGE.stop - OUTAGE.start)
    timestamps = [d.strftime("%Y-%m-%d") for d in DAYS]
    request = {
        "horizon": 14,
        "quantiles": [0.1, 0.5, 0.9],
        "series": [
            {"id": "museum", "freq": "D", "timestamps": timestamps, "target": museum},
            {"id": "park", "freq": "D", "timestamps": timestamps, "target": park},
        ],
    }
    out = Path(__file__).with_name("daily_visits.json")
    out.write_text(json.dumps(request) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
