"""What the daemon costs on top of a model: the mock model through a real daemon vs in-process.

    python benchmarks/overhead.py
    python benchmarks/overhead.py --requests 300 --large-series 200     # a quicker run

It starts its own daemon (temporary TOLLAMA_HOME, loopback, free port), pulls ``mock`` and
warms up; then it prints, each beside its baseline and the ratio:

- small p50: sequential 1-series requests (context 96, horizon 12, 3 quantiles), p50 latency;
  baseline: p50 of ``MockAdapter.forecast`` on the same request in this process (the runner's
  own compute). Target: p50 at most 2 ms above it (``--max-small-overhead-ms``).
- rps at 8 clients: the same request from 8 threads on their own connections, against 1 client.
- large: one request of 1,000 series x context 512, horizon 24, 9 quantiles, with hourly
  timestamps (a 12 MB body): median latency; baseline: ``MockAdapter.forecast`` on it
  in-process. The difference is the daemon's and the runner's own work (HTTP, JSON both ways
  twice, validation, timestamps, quantile order); target at most ``--max-large-overhead-ms``.
  The same request without timestamps (``freq`` only, a 4 MB body) is shown beside it.

Exits 1 when a target is missed. The client is ``http.client`` (see ``harness.py``).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import orjson
from harness import LeanClient, Report, median_ms, own_daemon

from tollama.core.registry import get_spec
from tollama.core.schemas import ForecastRequest, ModelManifest
from tollama.runners.mock.adapter import MockAdapter

QUANTILES_SMALL = [0.1, 0.5, 0.9]
QUANTILES_LARGE = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def forecast_body(series: int, context: int, horizon: int, quantiles: list[float], timestamps: bool = True) -> dict:
    rng = np.random.default_rng(0)
    values = rng.normal(100.0, 10.0, size=(series, context)).round(3)
    start = np.datetime64("2024-01-01T00")
    stamps = [str(t) for t in np.arange(start, start + context, np.timedelta64(1, "h"))]
    return {
        "model": "mock",
        "horizon": horizon,
        "quantiles": quantiles,
        "stream": False,
        "series": [
            {"id": f"series-{i}", "freq": "h", "target": row, **({"timestamps": stamps} if timestamps else {})}
            for i, row in enumerate(values.tolist())
        ],
    }


def compute_seconds(body: dict, repeats: int) -> list[float]:
    """The runner's own compute: ``MockAdapter.forecast`` on the validated request, in this process."""
    adapter = MockAdapter()
    adapter.load(ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00"))
    request = ForecastRequest.model_validate(body)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        adapter.forecast("mock", request)
        times.append(time.perf_counter() - started)
    return times


def timed_posts(client: LeanClient, body: bytes, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, answer = client.post("/api/forecast", body)
        times.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"forecast failed ({status}): {answer[:300]!r}")
    return times


def requests_per_second(base_url: str, body: bytes, clients: int, total: int) -> float:
    """``total`` requests shared by ``clients`` threads, each on its own connection."""
    per_client = total // clients
    connections = [LeanClient(base_url) for _ in range(clients)]
    for client in connections:
        timed_posts(client, body, 5)  # connect and warm each connection
    work: list[Callable[[], object]] = [lambda c=c: timed_posts(c, body, per_client) for c in connections]
    threads = [threading.Thread(target=job) for job in work]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    for client in connections:
        client.close()
    return per_client * clients / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="sequential small requests timed")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rps-requests", type=int, default=2000)
    parser.add_argument("--large-series", type=int, default=1000)
    parser.add_argument("--large-context", type=int, default=512)
    parser.add_argument("--large-repeats", type=int, default=5)
    parser.add_argument("--max-small-overhead-ms", type=float, default=2.0)
    parser.add_argument("--max-large-overhead-ms", type=float, default=400.0)
    args = parser.parse_args(argv)
    report = Report()
    report.header("python benchmarks/overhead.py " + " ".join(argv if argv is not None else sys.argv[1:]))

    small = forecast_body(1, 96, 12, QUANTILES_SMALL, timestamps=False)
    large = forecast_body(args.large_series, args.large_context, 24, QUANTILES_LARGE)
    plain = forecast_body(args.large_series, args.large_context, 24, QUANTILES_LARGE, timestamps=False)
    small_bytes, large_bytes, plain_bytes = orjson.dumps(small), orjson.dumps(large), orjson.dumps(plain)
    small_compute = median_ms(compute_seconds(small, 2000))
    large_compute = median_ms(compute_seconds(large, args.large_repeats))

    with own_daemon("mock") as daemon:
        client = LeanClient(daemon.base_url)
        timed_posts(client, small_bytes, 200)  # load the model, warm every path
        small_p50 = median_ms(timed_posts(client, small_bytes, args.requests))
        one_client = requests_per_second(daemon.base_url, small_bytes, 1, args.rps_requests // 4)
        many_clients = requests_per_second(daemon.base_url, small_bytes, args.clients, args.rps_requests)
        timed_posts(client, large_bytes, 1)
        large_latency = median_ms(timed_posts(client, large_bytes, args.large_repeats))
        plain_latency = median_ms(timed_posts(client, plain_bytes, args.large_repeats))
        client.close()

    small_over = small_p50 - small_compute
    report.figure("small p50 latency", small_p50, "ms", small_compute, "runner compute p50")
    report.at_most("small p50 overhead", small_over, "ms", args.max_small_overhead_ms, "ms")
    report.figure(f"rps at {args.clients} clients", many_clients, "req/s", one_client, "1 client")
    report.figure(
        f"large {args.large_series}x{args.large_context} latency", large_latency, "ms", large_compute, "runner compute"
    )
    large_over = large_latency - large_compute
    report.at_most("large overhead", large_over, "ms", args.max_large_overhead_ms, "ms")
    report.figure("large overhead per series", 1000 * large_over / args.large_series, "us")
    report.figure("large, no timestamps: latency", plain_latency, "ms", large_compute, "runner compute")
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
