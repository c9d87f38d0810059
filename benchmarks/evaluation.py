"""Cost of ``/api/evaluate`` against each library's own backtest, measured in the same run.

    python benchmarks/evaluation.py                      # 200 daily series of length 140, 3 windows
    python benchmarks/evaluation.py --series 1000 --windows 5

Stats: ``auto-ets`` through a daemon this script starts (temporary home, loopback, free port),
``POST /api/evaluate`` with metrics and quantiles (0.1, 0.9), against
``StatsForecast([AutoETS(season_length=7)], freq="D", n_jobs=-1).cross_validation(h, n_windows,
step_size, level=[80])`` in this process on the same data and windows. Target: at most 1.1x.

TSFM side: the mock model with ``options.compute_seconds`` stands in for a foundation model whose
library takes that long per call (no TSFM runtime is needed); the baseline is the same time spent
once per window in-process, as calling the library per window would. It measures what the daemon
adds around a batched call per window. Target: at most 1.1x. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx
import numpy as np
import orjson
import pandas as pd
from harness import own_daemon
from statsforecast import StatsForecast
from statsforecast.models import AutoETS

SEASON = 7


def make_frame(count: int, length: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(100, 1000, size=(count, 1))
    values = level * (1 + 0.2 * np.sin(2 * np.pi * t / SEASON)) + rng.normal(0, 0.03, (count, length)).cumsum(1) * level
    ds = pd.date_range("2024-01-01", periods=length, freq="D")
    return pd.DataFrame({
        "unique_id": np.repeat([f"s{i}" for i in range(count)], length),
        "ds": np.tile(ds, count), "y": values.ravel(),
    })  # fmt: skip


def body(frame: pd.DataFrame, model: str, horizon: int, windows: int, options: dict | None = None) -> bytes:
    stamps = [str(d.date()) for d in frame["ds"].iloc[: frame.groupby("unique_id").size().iloc[0]]]
    series = [
        {"id": str(sid), "freq": "D", "timestamps": stamps, "target": group["y"].tolist()}
        for sid, group in frame.groupby("unique_id", sort=False)
    ]
    request = {"models": [model], "series": series, "horizon": horizon, "windows": windows, "stream": False,
               "quantiles": [0.1, 0.9], "metrics": ["mase", "wql"], "options": options or {}}  # fmt: skip
    return orjson.dumps(request)


def timed_post(base_url: str, payload: bytes) -> float:
    started = time.perf_counter()
    response = httpx.post(f"{base_url}/api/evaluate", content=payload, timeout=1800, trust_env=False,
                          headers={"Content-Type": "application/json"})  # fmt: skip
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    if response.json()["leaderboard"][0]["error"]:
        raise SystemExit(f"evaluation failed: {response.json()['leaderboard'][0]['error']}")
    return elapsed


def stats_ratio(frame: pd.DataFrame, horizon: int, windows: int, rounds: int) -> float:
    payload = body(frame, "auto-ets", horizon, windows)
    with own_daemon("auto-ets", env={"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "1800"}) as daemon:
        timed_post(daemon.base_url, payload)  # starts the runner (not counted)
        ratios = []
        for _ in range(rounds):
            ours = timed_post(daemon.base_url, payload)
            started = time.perf_counter()
            StatsForecast([AutoETS(season_length=SEASON)], freq="D", n_jobs=-1).cross_validation(
                df=frame, h=horizon, n_windows=windows, step_size=horizon, level=[80]
            )
            baseline = time.perf_counter() - started
            ratios.append(ours / baseline)
            print(f"  stats round: daemon {ours:.2f}s, statsforecast cross_validation {baseline:.2f}s")
    return statistics.median(ratios)


def tsfm_ratio(frame: pd.DataFrame, horizon: int, windows: int, rounds: int, compute: float) -> float:
    payload = body(frame, "mock", horizon, windows, {"compute_seconds": compute})
    with own_daemon("mock") as daemon:
        timed_post(daemon.base_url, payload)
        ratios = []
        for _ in range(rounds):
            ours = timed_post(daemon.base_url, payload)
            started = time.perf_counter()
            for _window in range(windows):  # the library called once per window, in-process
                time.sleep(compute)
            baseline = time.perf_counter() - started
            ratios.append(ours / baseline)
            print(f"  tsfm round: daemon {ours:.2f}s, library per window {baseline:.2f}s")
    return statistics.median(ratios)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--length", type=int, default=140)
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compute-seconds", type=float, default=0.5, help="Mock model time per call.")
    parser.add_argument("--max-ratio", type=float, default=1.1)
    args = parser.parse_args()
    frame = make_frame(args.series, args.length)
    print(f"{args.series} series x {args.length}, horizon {args.horizon}, {args.windows} windows")
    stats = stats_ratio(frame, args.horizon, args.windows, args.rounds)
    tsfm = tsfm_ratio(frame, args.horizon, args.windows, args.rounds, args.compute_seconds)
    missed = 0
    for name, ratio in (("stats (auto-ets) vs StatsForecast.cross_validation", stats),
                        ("TSFM stand-in (mock) vs library per window", tsfm)):  # fmt: skip
        verdict = "ok" if ratio <= args.max_ratio else "MISSED"
        missed += verdict != "ok"
        print(f"{name}: {ratio:.3f}x (target <= {args.max_ratio}x) {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
