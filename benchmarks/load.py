"""Load test: N forecast requests at concurrency C on the mock model, against a real daemon.

    python benchmarks/load.py                          # 10,000 requests at 32, own daemon
    python benchmarks/load.py --requests 500 --concurrency 16
    python benchmarks/load.py --base-url http://127.0.0.1:11435 --pid 1234

By default it starts its own daemon (temporary TOLLAMA_HOME, loopback, free port), pulls
``mock`` and warms up before measuring. It prints latency percentiles, throughput, errors and
the daemon's resident memory before and after, and exits 1 when a target is missed: any error,
RSS growth above ``--max-rss-growth-mb`` (default 50), or p99 above ``--max-p99-ms`` if given.
RSS is read from ``/proc/<pid>/status`` (Linux); with ``--base-url`` pass ``--pid`` to check it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tollama.testing.daemon import DaemonProcess

BODY = {
    "model": "mock",
    "horizon": 12,
    "quantiles": [0.1, 0.5, 0.9],
    "stream": False,
    "series": [{"id": "load", "freq": "h", "target": [float(i % 24) for i in range(96)]}],
}


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (``VmRSS`` in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def run_load(base_url: str, requests: int, concurrency: int, headers: dict[str, str]) -> tuple[Outcome, float]:
    """Send ``requests`` forecasts over ``concurrency`` connections; return outcomes and wall time."""
    outcome = Outcome()
    remaining = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=60, trust_env=False, headers=headers
    ) as client:

        async def worker() -> None:
            for _ in remaining:
                started = time.perf_counter()
                try:
                    response = await client.post("/api/forecast", json=BODY)
                except httpx.HTTPError as exc:
                    outcome.error(type(exc).__name__)
                    continue
                if response.status_code == 200 and response.json().get("done"):
                    outcome.latencies.append(time.perf_counter() - started)
                else:
                    outcome.error(f"HTTP {response.status_code}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return outcome, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1] if len(values) > 1 else values[0]


@contextlib.contextmanager
def own_daemon() -> Iterator[tuple[str, int]]:
    with tempfile.TemporaryDirectory(prefix="tollama-load-") as home, DaemonProcess(Path(home) / "home") as daemon:
        assert daemon.process is not None
        pulled = httpx.post(f"{daemon.base_url}/api/pull", json={"model": "mock", "stream": False}, trust_env=False)
        pulled.raise_for_status()
        yield daemon.base_url, daemon.process.pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--base-url", help="an already running daemon (with mock pulled); default: start one")
    parser.add_argument("--pid", type=int, help="that daemon's pid, to check its RSS")
    parser.add_argument("--api-key", help="Bearer key for a daemon that needs one")
    parser.add_argument("--max-rss-growth-mb", type=float, default=50.0)
    parser.add_argument("--max-p99-ms", type=float, help="fail when p99 latency is above this")
    args = parser.parse_args(argv)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}

    with contextlib.ExitStack() as stack:
        if args.base_url:
            base_url, pid = args.base_url.rstrip("/"), args.pid
        else:
            base_url, pid = stack.enter_context(own_daemon())
        warmup, _ = asyncio.run(run_load(base_url, 2 * args.concurrency, args.concurrency, headers))
        before = rss_mb(pid) if pid else None
        outcome, seconds = asyncio.run(run_load(base_url, args.requests, args.concurrency, headers))
        after = rss_mb(pid) if pid else None

    failures: list[str] = []
    errors = sum(outcome.errors.values()) + sum(warmup.errors.values())
    print(f"requests     {args.requests} at concurrency {args.concurrency} against {base_url}")
    print(f"throughput   {len(outcome.latencies) / seconds:.0f} req/s over {seconds:.1f}s")
    if outcome.latencies:
        ms = [value * 1000 for value in outcome.latencies]
        p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
        print(f"latency ms   p50 {p50:.1f}  p90 {percentile(ms, 0.9):.1f}  p99 {p99:.1f}  max {max(ms):.1f}")
        if args.max_p99_ms is not None and p99 > args.max_p99_ms:
            failures.append(f"p99 {p99:.1f} ms is above --max-p99-ms {args.max_p99_ms:g}")
    print(f"errors       {errors} {dict(sorted({**warmup.errors, **outcome.errors}.items())) or ''}".rstrip())
    if errors:
        failures.append(f"{errors} requests failed")
    if before is not None and after is not None:
        growth = after - before
        print(f"daemon RSS   {before:.1f} MB -> {after:.1f} MB (growth {growth:+.1f} MB)")
        if growth > args.max_rss_growth_mb:
            failures.append(f"RSS grew {growth:.1f} MB, above --max-rss-growth-mb {args.max_rss_growth_mb:g}")
    else:
        print("daemon RSS   not checked (pass --pid with --base-url)")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
