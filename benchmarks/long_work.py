"""Long stats work against a short no-progress timeout: it completes because it keeps progressing.

    python benchmarks/long_work.py                      # 1,428 monthly series (M3 monthly's count)
    python benchmarks/long_work.py --series 200 --timeout 30

The motivating case: stats-ensemble on M3 monthly (1,428 series) ran for more than the 300 s
forecast timeout on two cores and was killed with a 504. Here a daemon (temporary
TOLLAMA_HOME, loopback, free port) runs with ``TOLLAMA_FORECAST_TIMEOUT_SECONDS=--timeout``
while stats-ensemble forecasts synthetic M3-like monthly series (lengths 48 to 126, horizon
18) as one streamed request. Printed: the total time, the number of progress lines, the
longest silence between two lines, and the ratios total / timeout (above 1: the old total
timeout would have killed it) and longest silence / timeout (must stay below 1). Exits 1 when
the request fails or a silence reached the timeout.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import orjson

from tollama.testing.daemon import DaemonProcess

HORIZON = 18  # M3 monthly's


def monthly_series(count: int, seed: int = 0) -> list[dict]:
    """Positive monthly series with a yearly cycle and a trend, of M3 monthly's lengths."""
    rng = np.random.default_rng(seed)
    series = []
    for i in range(count):
        n = int(rng.integers(48, 127))
        t = np.arange(n)
        level = rng.uniform(1000, 8000)
        values = level * (1 + 0.002 * t + rng.uniform(0.02, 0.2) * np.sin(2 * np.pi * t / 12))
        values += rng.normal(0, 0.03 * level, n).cumsum() * 0.2
        series.append({"id": f"M{i + 1}", "freq": "MS", "target": np.round(np.abs(values), 2).tolist()})
    return series


def streamed(http: httpx.Client, body: dict) -> tuple[float, float, int, dict]:
    """Total seconds, longest silence between lines, progress lines, and the last event."""
    started = last = time.perf_counter()
    longest, lines, final = 0.0, 0, {}
    with http.stream("POST", "/api/forecast", content=orjson.dumps(body)) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
            final = orjson.loads(line)
            if "completed" in final:
                lines += 1
                print(f"  {now - started:7.1f} s  {final['completed']}/{final['total']}", flush=True)
    return time.perf_counter() - started, longest, lines, final


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=1428)
    parser.add_argument("--timeout", type=float, default=60.0, help="TOLLAMA_FORECAST_TIMEOUT_SECONDS for the run")
    parser.add_argument("--model", default="stats-ensemble")
    args = parser.parse_args()
    body = {"model": args.model, "horizon": HORIZON, "stream": True, "series": monthly_series(args.series)}
    print(f"load average at start: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
    env = {"TOLLAMA_FORECAST_TIMEOUT_SECONDS": str(args.timeout)}
    with (
        tempfile.TemporaryDirectory() as home,
        DaemonProcess(Path(home), env=env) as daemon,
        httpx.Client(base_url=daemon.base_url, timeout=args.timeout + 10, trust_env=False) as http,
    ):
        http.post("/api/pull", json={"model": args.model, "stream": False}).raise_for_status()
        total, longest, lines, final = streamed(http, body)
    ok = final.get("done") is True and len(final.get("forecasts", [])) == args.series
    print(f"{args.model}, {args.series} series: {'completed' if ok else 'FAILED: ' + str(final.get('error'))}")
    print(f"total {total:.1f} s; {lines} progress lines; longest silence {longest:.1f} s; timeout {args.timeout:g} s")
    print(f"ratio total / timeout: {total / args.timeout:.2f}; longest silence / timeout: {longest / args.timeout:.2f}")
    return 0 if ok and longest < args.timeout else 1


if __name__ == "__main__":
    sys.exit(main())
