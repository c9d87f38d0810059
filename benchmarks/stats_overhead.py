"""Overhead of the stats family: auto-ets through a real daemon vs statsforecast in-process.

    python benchmarks/stats_overhead.py                 # 1,000 daily series of length 200
    python benchmarks/stats_overhead.py --series 100 --repeats 3

Both sides fit the same data with all cores (statsforecast ``n_jobs=-1``): the baseline is
``StatsForecast([AutoETS(season_length=7)], freq="D", n_jobs=-1).forecast(...)`` on a long
DataFrame in this process; the daemon side is a POST /api/forecast of the same series (JSON
encoding included) to a daemon this script starts (temporary TOLLAMA_HOME, loopback, free
port). The first request also starts the stats runner; warm requests and baseline runs are
interleaved so background load hits both, and the ratio is the median over rounds of warm /
baseline. Exits 1 when that ratio is above ``--max-ratio`` (default 1.1), or when the forecasts
differ from the baseline's.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import orjson
import pandas as pd
import statsforecast
from statsforecast import StatsForecast
from statsforecast.models import AutoETS

from tollama.testing.daemon import DaemonProcess

SEASON = 7
LEVEL = 80.0  # the interval behind quantiles 0.1 and 0.9


def make_series(count: int, length: int, seed: int = 0) -> np.ndarray:
    """Positive daily series with a weekly cycle, a random walk and noise; one row each."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(100, 1000, size=(count, 1))
    weekly = rng.uniform(0.05, 0.3, size=(count, 1)) * level * np.sin(2 * np.pi * t / SEASON)
    walk = rng.normal(0, 0.01, size=(count, length)).cumsum(axis=1) * level
    return level + weekly + walk + rng.normal(0, 0.02, size=(count, length)) * level


def baseline(values: np.ndarray, stamps: pd.DatetimeIndex, horizon: int) -> tuple[float, np.ndarray]:
    """Seconds for statsforecast in-process on all cores, and its means (series x horizon)."""
    count, length = values.shape
    df = pd.DataFrame(
        {"unique_id": np.repeat(np.arange(count), length), "ds": np.tile(stamps, count), "y": values.ravel()}
    )
    started = time.perf_counter()
    out = StatsForecast(models=[AutoETS(season_length=SEASON)], freq="D", n_jobs=-1).forecast(
        df=df, h=horizon, level=[LEVEL]
    )
    return time.perf_counter() - started, out["AutoETS"].to_numpy().reshape(count, horizon)


def request_body(values: np.ndarray, stamps: pd.DatetimeIndex, horizon: int) -> dict:
    timestamps = stamps.strftime("%Y-%m-%d").tolist()
    series = [{"id": str(i), "freq": "D", "timestamps": timestamps, "target": row} for i, row in enumerate(values)]
    return {"model": "auto-ets", "horizon": horizon, "quantiles": [0.1, 0.5, 0.9], "series": series, "stream": False}


def through_daemon(http: httpx.Client, body: dict) -> tuple[float, np.ndarray, dict]:
    """Seconds for one request as a client sees it (encoding included), its means, the response."""
    started = time.perf_counter()
    payload = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    response = http.post("/api/forecast", content=payload, headers={"Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    data = response.json()
    return elapsed, np.array([f["mean"] for f in data["forecasts"]]), data


def describe(args: argparse.Namespace) -> None:
    print(f"date         {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine      {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"system       {platform.platform()}, python {platform.python_version()}")
    print(f"library      statsforecast {statsforecast.__version__}")
    print(f"data         {args.series} daily series x {args.length}, horizon {args.horizon}, AutoETS season {SEASON}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--repeats", type=int, default=2, help="warm requests and baseline runs, interleaved")
    parser.add_argument("--max-ratio", type=float, default=1.1)
    args = parser.parse_args(argv)
    values = make_series(args.series, args.length)
    stamps = pd.date_range("2024-01-01", periods=args.length, freq="D")
    body = request_body(values, stamps, args.horizon)
    describe(args)

    warm_costs, base_costs, failures = [], [], []
    with (
        tempfile.TemporaryDirectory(prefix="tollama-stats-bench-") as home,
        DaemonProcess(Path(home) / "home", env={"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "3600"}) as daemon,
        httpx.Client(base_url=daemon.base_url, timeout=3600, trust_env=False) as http,
    ):
        http.post("/api/pull", json={"model": "auto-ets", "stream": False}).raise_for_status()
        first, first_means, data = through_daemon(http, body)
        print(f"first        {first:8.2f} s   (starts the runner and its worker fork server)")
        for i in range(args.repeats):
            base, base_means = baseline(values, stamps, args.horizon)
            warm, warm_means, data = through_daemon(http, body)
            base_costs.append(base)
            warm_costs.append(warm)
            daemon_s = data["total_duration"] / 1e9
            print(f"round {i + 1}      baseline {base:8.2f} s   warm {warm:8.2f} s   (in the daemon {daemon_s:.2f} s)")
            for name, means in (("first", first_means), ("warm", warm_means)):
                if not np.allclose(means, base_means, rtol=1e-7):
                    failures.append(f"{name} forecasts differ from statsforecast in-process")
    base_median, warm_median = statistics.median(base_costs), statistics.median(warm_costs)
    # Each round's pair ran under the same background load; their ratio is steadier than the medians'.
    ratio = statistics.median(warm / base for warm, base in zip(warm_costs, base_costs, strict=True))
    print(f"baseline     {base_median:8.2f} s   (median of {len(base_costs)})")
    print(f"warm         {warm_median:8.2f} s   (median of {len(warm_costs)})")
    print(f"ratio        warm/baseline {ratio:.3f} (median of the rounds' ratios; target <= {args.max_ratio:g})")
    print(f"             first/baseline {first / base_median:.3f}")
    if ratio > args.max_ratio:
        failures.append(f"warm ratio {ratio:.3f} is above {args.max_ratio:g}")
    for failure in dict.fromkeys(failures):
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
