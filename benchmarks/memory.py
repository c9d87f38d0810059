"""Daemon memory under large requests (issue 15, points 4 and 5), against a real daemon on mock.

    python benchmarks/memory.py                       # the issue's loads (several minutes)
    python benchmarks/memory.py --big 3 --horizons 128 --concurrent 2 --body-mb 24   # quick

1. Caches come back: ``--big`` distinct requests of one 1M-point series each, then ``--horizons``
   distinct 10,000-step horizons; the daemon's resident memory (VmRSS) after the load must be
   within 10 % of before it (``--max-growth``). On main, caches held 640 MB after 8 big requests.
2. Bodies at once: ``--concurrent`` bodies of ``--body-mb`` MB sent together. Prints the peak
   resident memory (VmHWM) over the baseline, and the longest wait of a ``/api/version`` probe
   sent every 50 ms meanwhile (the event loop's stall).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Report, own_daemon


def status_mb(pid: int, field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of ``pid`` in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for pid {pid}")


def big_body(index: int, points: int) -> bytes:
    """One series of ``points`` minutes, starting ``index`` days apart (distinct timestamps each time)."""
    start = pd.Timestamp("2000-01-01") + pd.Timedelta(days=index)
    stamps = pd.date_range(start, periods=points, freq="min").strftime("%Y-%m-%dT%H:%M:%S").tolist()
    series = {
        "id": f"big{index}",
        "freq": "min",
        "timestamps": stamps,
        "target": [float(i % 97) for i in range(points)],
    }
    return orjson.dumps({"model": "mock", "horizon": 12, "stream": False, "series": [series]})


def horizon_body(index: int) -> bytes:
    start = pd.Timestamp("2001-01-01") + pd.Timedelta(hours=index)
    stamps = pd.date_range(start, periods=48, freq="h").strftime("%Y-%m-%dT%H:%M:%S").tolist()
    series = {"id": "h", "freq": "h", "timestamps": stamps, "target": [1.0] * 48}
    return orjson.dumps({"model": "mock", "horizon": 10_000, "stream": False, "series": [series]})


def wide_body(megabytes: int) -> bytes:
    """About ``megabytes`` MB of floats, in series of at most 1M points."""
    points = megabytes * 1024 * 1024 // 20
    series = []
    for index in range(0, points, 1_000_000):
        count = min(1_000_000, points - index)
        series.append({"id": f"w{index}", "target": [1234.56789012 + i * 1e-7 for i in range(count)]})
    return orjson.dumps({"model": "mock", "horizon": 4, "stream": False, "series": series})


def post(http: httpx.Client, body: bytes) -> int:
    return http.post("/v1/forecast", content=body, headers={"Content-Type": "application/json"}).status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", type=int, default=8, help="distinct 1M-point requests")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--horizons", type=int, default=1024, help="distinct 10,000-step horizons")
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--body-mb", type=int, default=64)
    parser.add_argument("--max-growth", type=float, default=0.10, help="RSS growth allowed after the load")
    args = parser.parse_args()
    report = Report()
    report.header(" ".join(sys.argv))
    with own_daemon("mock") as daemon, httpx.Client(base_url=daemon.base_url, timeout=600, trust_env=False) as http:
        pid = daemon.process.pid
        # Warm: one request of each kind, large enough to take the worker-thread path (first use).
        assert post(http, big_body(-1, 20_000)) == 200 and post(http, horizon_body(-1)) == 200
        time.sleep(1.0)
        before = status_mb(pid, "VmRSS")
        statuses = []
        for index in range(args.big):  # a connection each, as separate clients would
            with httpx.Client(base_url=daemon.base_url, timeout=600, trust_env=False) as client:
                statuses.append(post(client, big_body(index, args.points)))
        statuses += [post(http, horizon_body(i)) for i in range(args.horizons)]
        time.sleep(1.0)  # the load has ended: the daemon returns memory after its last large answer
        after = status_mb(pid, "VmRSS")
        if set(statuses) != {200}:
            print(f"unexpected statuses: {sorted(set(statuses))}")
            return 1
        report.figure("rss before the load", before, "MB")
        report.at_most("rss after / before", after / before, "x", 1 + args.max_growth)

        body = wide_body(args.body_mb)
        stalls: list[float] = []
        done = threading.Event()

        def probe() -> None:
            with httpx.Client(base_url=daemon.base_url, timeout=60, trust_env=False) as prober:
                while not done.is_set():
                    started = time.perf_counter()
                    prober.get("/api/version")
                    stalls.append(time.perf_counter() - started)
                    done.wait(0.05)

        base_peak = status_mb(pid, "VmHWM")
        rss_now = status_mb(pid, "VmRSS")
        prober = threading.Thread(target=probe)
        prober.start()
        senders = [httpx.Client(base_url=daemon.base_url, timeout=600, trust_env=False) for _ in range(args.concurrent)]
        results: list[int] = []
        threads = [threading.Thread(target=lambda c=c: results.append(post(c, body))) for c in senders]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        done.set()
        prober.join()
        for client in senders:
            client.close()
        peak = status_mb(pid, "VmHWM")
        print(
            f"# {args.concurrent} bodies of {len(body) / 1e6:.1f} MB at once: statuses {sorted(results)}, {wall:.1f}s"
        )
        report.figure("peak rss over the bodies", max(peak, base_peak) - rss_now, "MB")
        report.figure("longest /api/version wait", max(stalls) * 1000, "ms")
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
