"""Throughput of many concurrent clients against the same requests sent one after another.

    python benchmarks/concurrency.py                              # mock, 16 clients, batching on vs off
    python benchmarks/concurrency.py --model chronos-bolt-small                # real-size random checkpoint
    python benchmarks/concurrency.py --model chronos-bolt-small --base-url http://127.0.0.1:11435

Every request forecasts one series (``--context`` points, ``--horizon`` steps, 3 quantiles);
each has values of its own, so each answer is checked against the same request's sequential
answer (``--atol``). Figures, each beside its baseline and ratio:

- sequential: the requests one at a time (the baseline);
- concurrent, batching on: ``--clients`` threads share the same requests;
- concurrent, batching off (own daemons only, ``TOLLAMA_BATCH_MAX_SERIES=0``): what
  concurrency gives without merging, so the difference is what batching gives;
- the ceiling (own daemons, any model but ``mock``): the family's runner adapter in-process on
  every series in one call (``adapter_baseline.py``, the family's runtime python), i.e. the
  library's own batched throughput on this machine with no daemon in the way.

Target: concurrent with batching at least ``--min-ratio`` (4) times sequential. Without
``--base-url`` it starts its own daemons (temporary homes) and pulls ``--model`` into them
(any model but ``mock``: through ``harness.family_rig``, from a random-initialised checkpoint at
the model's published size, built once with the family's runtime; ``--workdir`` keeps it);
``mock`` then computes ``--mock-compute-seconds`` per call, calls taking turns like a model on
one device, so only merging can raise throughput. Exits 1 when the target is missed or an
answer differs.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import orjson
from harness import LeanClient, Report, family_rig, own_daemon


def bodies(model: str, count: int, context: int, horizon: int, options: dict) -> list[bytes]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(count):
        target = (100 + 10 * np.sin(np.arange(context) / 6 + i) + rng.normal(0, 1, context)).round(3)
        body = {
            "model": model,
            "horizon": horizon,
            "quantiles": [0.1, 0.5, 0.9],
            "stream": False,
            "series": [{"id": "series", "freq": "h", "target": target.tolist()}],
            "options": options,
        }
        out.append(orjson.dumps(body))
    return out


def send_all(base_url: str, requests: list[bytes], clients: int) -> tuple[float, list[dict]]:
    """Send every request over ``clients`` connections (threads); return (seconds, forecasts in order)."""
    answers: list[dict] = [{} for _ in requests]
    failures: list[str] = []
    cursor = iter(range(len(requests)))
    lock = threading.Lock()

    def worker() -> None:
        client = LeanClient(base_url)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            status, body = client.post("/api/forecast", requests[index])
            if status != 200:
                failures.append(f"{status}: {body[:200]!r}")
                continue
            answers[index] = orjson.loads(body)["forecasts"][0]
        client.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    return time.perf_counter() - started, answers


def largest_difference(left: list[dict], right: list[dict], means_only: bool = False) -> float:
    worst = 0.0
    for a, b in zip(left, right, strict=True):
        keys = ["mean", *([] if means_only else sorted(a.get("quantiles") or {}))]
        for key in keys:
            x = np.asarray(a["mean"] if key == "mean" else a["quantiles"][key])
            y = np.asarray(b["mean"] if key == "mean" else b["quantiles"][key])
            worst = max(worst, float(np.max(np.abs(x - y))))
    return worst


@contextlib.contextmanager
def daemon_url(model: str, base_url: str | None, batching: bool, workdir: Path) -> Iterator[tuple[str, Path | None]]:
    """``--base-url``, or a daemon of our own: ``mock`` pulled, any other model from a real-size checkpoint.

    Also yields the family's runtime python for our own non-mock daemons (else None).
    """
    if base_url:
        yield base_url.rstrip("/"), None
        return
    env = {} if batching else {"TOLLAMA_BATCH_MAX_SERIES": "0"}
    if model == "mock":
        with own_daemon(model, env) as daemon:
            yield daemon.base_url, None
        return
    with family_rig(model, workdir, env) as (rig, _):
        yield rig.daemon.base_url, rig.python


def library_ceiling(url: str, python: Path, requests: list[bytes], workdir: Path) -> tuple[float, list[dict]]:
    """Seconds per request of the adapter in-process on all the series in one call, and its forecasts."""
    bodies = [orjson.loads(body) for body in requests]
    series = [{**body["series"][0], "id": str(k)} for k, body in enumerate(bodies)]
    combined = {key: value for key, value in bodies[0].items() if key not in ("series", "stream")}
    request_file, manifest_file = workdir / "ceiling-request.json", workdir / "ceiling-manifest.json"
    request_file.write_bytes(orjson.dumps({**combined, "series": series}))
    model = bodies[0]["model"]
    manifest_file.write_bytes(httpx.post(f"{url}/api/show", json={"model": model}, trust_env=False).content)
    script = Path(__file__).with_name("adapter_baseline.py")
    command = [str(python), str(script), "--manifest", str(manifest_file), "--request", str(request_file)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"adapter_baseline.py failed: {done.stderr[-2000:]}")
    answer = orjson.loads(done.stdout.splitlines()[-1])
    return answer["seconds"] / len(requests), answer["forecasts"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mock")
    parser.add_argument("--base-url", help="a running daemon with --model installed (batching as it is set there)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=64, help="requests in each phase")
    parser.add_argument("--context", type=int, default=512)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--mock-compute-seconds", type=float, default=0.05)
    parser.add_argument("--min-ratio", type=float, default=4.0)
    parser.add_argument(
        "--atol", type=float, help="largest allowed answer difference (default: 0 for mock, 1e-3 for float32 models)"
    )
    parser.add_argument("--workdir", type=Path, help="keep a real-size checkpoint here between runs (not mock)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the in-process library ceiling (not mock)")
    args = parser.parse_args(argv)
    if args.atol is None:
        args.atol = 0.0 if args.model == "mock" else 1e-3  # another batch shape rounds float32 differently
    with tempfile.TemporaryDirectory(prefix="tollama-concurrency-") as scratch:
        return measure(args, argv, args.workdir or Path(scratch))


def measure(args: argparse.Namespace, argv: list[str] | None, workdir: Path) -> int:
    report = Report()
    report.header("python benchmarks/concurrency.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    options = {"compute_seconds": args.mock_compute_seconds} if args.model == "mock" else {}
    requests = bodies(args.model, args.requests, args.context, args.horizon, options)

    ceiling = None
    with daemon_url(args.model, args.base_url, True, workdir) as (url, python):
        send_all(url, requests[: args.clients], args.clients)  # load the model, warm connections
        sequential, alone = send_all(url, requests, 1)
        concurrent, together = send_all(url, requests, args.clients)
        if python is not None and not args.no_ceiling:
            ceiling, in_process = library_ceiling(url, python, requests, workdir)
    off = None
    if not args.base_url:
        with daemon_url(args.model, None, False, workdir) as (url, _):
            send_all(url, requests[: args.clients], args.clients)
            off, _ = send_all(url, requests, args.clients)

    seq_rps = len(requests) / sequential
    report.figure("sequential", seq_rps, "req/s")
    on_rps = len(requests) / concurrent
    report.figure(
        f"{args.clients} clients, batching on",
        on_rps,
        "req/s",
        seq_rps,
        "sequential",
        target=f">= {args.min_ratio:g}x",
        met=on_rps >= args.min_ratio * seq_rps,
    )
    if off is not None:
        report.figure(f"{args.clients} clients, batching off", len(requests) / off, "req/s", seq_rps, "sequential")
    if ceiling is not None:
        report.figure("adapter in-process, one call (the ceiling)", 1 / ceiling, "req/s", seq_rps, "sequential")
        report.figure(f"{args.clients} clients, batching on", on_rps, "req/s", 1 / ceiling, "the ceiling")
    difference = largest_difference(alone, together)
    report.at_most("largest answer difference", difference, "", args.atol)
    if ceiling is not None:
        # Means only: the daemon sorts quantiles at each step (random heads cross), the adapter does not.
        report.at_most(
            "largest mean difference from in-process", largest_difference(alone, in_process, True), "", args.atol
        )
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
