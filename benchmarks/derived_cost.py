"""What derived models cost: an ensemble vs its members' sum and slowest; an ``auto`` model vs
(k·w + 1) forecasts of the same request.

    python benchmarks/derived_cost.py                         # 200 monthly series, 3 stats members
    python benchmarks/derived_cost.py --series 50 --repeats 3 --windows 2
    python benchmarks/derived_cost.py --members auto-ets,auto-theta,fracast-0   # needs its runtime

A daemon this script starts (temporary home, loopback, free port) pulls the members. First, from
unloaded models, the members forecast one after another and then the ensemble (loads included:
the ensemble's load at once). Then each model forecasts once to warm up, and warm requests are
timed in interleaved rounds (members alone, the members as concurrent requests, the ensemble,
the auto model), so background load hits all of them; figures are medians over rounds.

An ensemble's CPU members forecast in turn, each with every core (``daemon.derived.lane_of``):
the target is their sum within 5 % (combining, noise); "members at once" shows what running
them concurrently costs instead. The auto model: at most (k·w + 1) times its slowest
candidate's forecast. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from harness import Report

from tollama.testing.daemon import DaemonProcess


def series(count: int, length: int, seed: int = 0) -> list[dict]:
    """Monthly series: level, trend, a yearly cycle and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    out = []
    for i in range(count):
        level, slope, amp = rng.uniform(100, 1000), rng.normal(0, 2), rng.uniform(5, 50)
        y = level + slope * t + amp * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 6)) + rng.normal(0, 5, length)
        out.append({"id": str(i), "freq": "MS", "target": y.round(3).tolist()})
    return out


def timed(http: httpx.Client, body: dict) -> float:
    started = time.perf_counter()
    response = http.post("/api/forecast", json=body)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{body['model']}: {response.status_code} {response.text[:300]}")
    return elapsed


def timed_at_once(base_url: str, bodies: list[dict]) -> float:
    """All requests sent together, each on its own connection: the wall time until the last answer."""
    clients = [httpx.Client(base_url=base_url, timeout=3600, trust_env=False) for _ in bodies]
    try:
        with ThreadPoolExecutor(len(bodies)) as pool:
            started = time.perf_counter()
            list(pool.map(timed, clients, bodies))
            return time.perf_counter() - started
    finally:
        for client in clients:
            client.close()


def cold(home: Path, base: dict, members: list[str]) -> tuple[float, float]:
    """(members one after another, the ensemble), each in a fresh daemon: runner start-ups and loads included."""
    with DaemonProcess(home) as daemon, httpx.Client(base_url=daemon.base_url, timeout=3600, trust_env=False) as http:
        in_turn = sum(timed(http, {**base, "model": m}) for m in members)
    with DaemonProcess(home) as daemon, httpx.Client(base_url=daemon.base_url, timeout=3600, trust_env=False) as http:
        return in_turn, timed(http, {**base, "model": "bench-ens"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", default="auto-ets,auto-theta,seasonal-naive")
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--length", type=int, default=120)
    parser.add_argument("--horizon", type=int, default=18)
    parser.add_argument("--windows", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    members = args.members.split(",")
    report = Report()
    report.header(" ".join(sys.argv))
    base = {"horizon": args.horizon, "quantiles": [0.1, 0.5, 0.9], "stream": False}
    base["series"] = series(args.series, args.length)
    with contextlib.ExitStack() as stack:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="tollama-bench-"))
        with DaemonProcess(Path(home)) as daemon, httpx.Client(base_url=daemon.base_url, trust_env=False) as http:
            for model in members:
                pulled = http.post("/api/pull", json={"model": model, "stream": False}, timeout=3600)
                if pulled.status_code != 200:
                    raise SystemExit(f"cannot pull {model}: {pulled.text}")
            http.post("/api/create", json={"model": "bench-ens", "stream": False, "ensemble": {"members": members}})
            auto = {"candidates": members, "windows": args.windows}
            has_auto = http.post("/api/create", json={"model": "bench-auto", "stream": False, "auto": auto})
        cold_members, cold_ensemble = cold(Path(home), base, members)
        daemon = stack.enter_context(DaemonProcess(Path(home)))
        http = stack.enter_context(httpx.Client(base_url=daemon.base_url, timeout=3600, trust_env=False))
        models = [*members, "bench-ens"] + (["bench-auto"] if has_auto.status_code == 200 else [])
        for model in list(models):  # warm: runners started, models loaded
            if http.post("/api/forecast", json={**base, "model": model}).status_code != 200 and model == "bench-auto":
                models.remove(model)  # a build without the evaluation service cannot serve auto models
        times: dict[str, list[float]] = {m: [] for m in models}
        at_once: list[float] = []
        for _ in range(args.repeats):
            for model in models:
                times[model].append(timed(http, {**base, "model": model}))
            at_once.append(timed_at_once(daemon.base_url, [{**base, "model": m} for m in members]))
        med = {m: statistics.median(v) for m, v in times.items()}
        for model in members:
            report.figure(f"{model} alone", med[model], "s")
        slowest, total = max(med[m] for m in members), sum(med[m] for m in members)
        report.figure("members at once (requests)", statistics.median(at_once), "s", total, "sum of members")
        report.figure("ensemble", med["bench-ens"], "s", slowest, "slowest member")
        report.figure("ensemble", med["bench-ens"], "s", total, "sum of members")
        report.at_most("ensemble / sum of members", med["bench-ens"] / total, "x", 1.05)
        report.figure("cold ensemble (loads at once)", cold_ensemble, "s", cold_members, "cold members in turn")
        if "bench-auto" in med:
            bound = len(members) * args.windows + 1
            report.figure("auto", med["bench-auto"], "s", slowest, "slowest candidate")
            report.at_most("auto / slowest candidate", med["bench-auto"] / slowest, "x", bound, "(k*w+1)")
        else:
            print("# auto not measured: this build cannot create or serve auto models")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
