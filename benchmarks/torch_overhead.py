"""What the daemon costs on top of a real-size model: one large request vs the library in-process.

    python benchmarks/torch_overhead.py                       # chronos-bolt-small, 1,000 series x 512, h 24
    python benchmarks/torch_overhead.py --series 200 --rounds 3 --workdir /tmp/bench   # quicker; keeps the checkpoint

It builds (once) a random-initialised checkpoint of ``--model`` at its published architecture
size with the torch runtime's python, serves it from a local hub and pulls it into a daemon of
its own (``harness.family_rig``). Then, round after round, it times:

- daemon: one ``POST /api/forecast`` of ``--series`` series (``--context`` values, hourly
  ``freq``, no timestamps unless ``--timestamps``), horizon ``--horizon``, quantiles 0.1/0.5/0.9,
  as a client sees it (HTTP, JSON both ways, validation, the runner, the library);
- in-process: the same series through ``chronos``'s ``predict_quantiles`` in a process of the
  runtime's python that timed itself (``torch_baseline.py``: same checkpoint, threads and
  chunks of 256 series as the runner).

The two alternate (the machine is shared and its load moves), the ratio is the median of the
rounds' daemon / in-process ratios; target ``--max-ratio`` (1.05). Exits 1 when it is missed or
when the daemon's means differ from the library's (``--atol``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
from harness import LeanClient, Report, family_rig

from tollama.testing.pulls import NEUTRAL_ENV

HERE = Path(__file__).resolve().parent
QUANTILES = [0.1, 0.5, 0.9]


def make_series(count: int, context: int) -> np.ndarray:
    """Positive hourly-looking series: a daily cycle, a random walk and noise; 3 decimals (exact in JSON)."""
    rng = np.random.default_rng(0)
    t = np.arange(context)
    level = rng.uniform(50, 500, size=(count, 1))
    daily = rng.uniform(0.05, 0.3, size=(count, 1)) * level * np.sin(2 * np.pi * t / 24)
    walk = rng.normal(0, 0.01, size=(count, context)).cumsum(axis=1) * level
    return (level + daily + walk).round(3)


def request_body(model: str, values: np.ndarray, horizon: int, timestamps: bool) -> bytes:
    extra: dict[str, object] = {}
    if timestamps:
        start = np.datetime64("2024-01-01T00")
        extra["timestamps"] = [str(t) for t in np.arange(start, start + values.shape[1], np.timedelta64(1, "h"))]
    series = [{"id": f"s{i}", "freq": "h", "target": row, **extra} for i, row in enumerate(values.tolist())]
    body = {"model": model, "horizon": horizon, "quantiles": QUANTILES, "stream": False, "series": series}
    return orjson.dumps(body)


class InProcess:
    """The library in a long-lived process of the runtime's python; ``run()`` is one timed pass."""

    def __init__(self, python: Path, snapshot: Path, data: Path, horizon: int, means: Path) -> None:
        command = [str(python), str(HERE / "torch_baseline.py"), "--snapshot", str(snapshot), "--data", str(data)]
        command += ["--horizon", str(horizon), "--means", str(means), "--quantiles", ",".join(map(str, QUANTILES))]
        env = {**os.environ, **NEUTRAL_ENV, "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.ready = self._answer()

    def _answer(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the in-process baseline exited ({self.process.wait()})")
        return json.loads(line)

    def run(self) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="chronos-bolt-small")
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--context", type=int, default=512)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5, help="daemon and in-process runs, alternating")
    parser.add_argument("--timestamps", action="store_true", help="send hourly timestamps with every series")
    parser.add_argument("--max-ratio", type=float, default=1.05)
    parser.add_argument("--atol", type=float, default=1e-3, help="largest allowed difference of the means")
    parser.add_argument("--workdir", type=Path, help="keep the checkpoint here between runs (default: temporary)")
    args = parser.parse_args(argv)
    report = Report()
    report.header("python benchmarks/torch_overhead.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    values = make_series(args.series, args.context)
    body = request_body(args.model, values, args.horizon, args.timestamps)
    print(f"# {args.series} series x {args.context}, horizon {args.horizon}, body {len(body) / 1e6:.1f} MB")

    with tempfile.TemporaryDirectory(prefix="tollama-torch-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        with family_rig(args.model, workdir) as (rig, checkpoint):
            np.save(workdir / "series.npy", values)
            library = InProcess(rig.python, checkpoint, workdir / "series.npy", args.horizon, workdir / "means.npy")
            client = LeanClient(rig.daemon.base_url)
            try:
                rounds = timed_rounds(client, body, library, args.rounds)
            finally:
                client.close()
                library.close()
            library_means = np.load(workdir / "means.npy")
    return summarise(report, args, rounds, library_means)


def timed_rounds(client: LeanClient, body: bytes, library: InProcess, count: int) -> list[dict]:
    """Warm both sides once, then ``count`` rounds; odd rounds start with the library."""
    status, answer = client.post("/api/forecast", body)  # loads the model in the runner
    if status != 200:
        raise SystemExit(f"forecast failed ({status}): {answer[:300]!r}")
    library.run()
    rounds = []
    for index in range(count):
        load = os.getloadavg()[0]
        done = {}
        for side in ("library", "daemon") if index % 2 else ("daemon", "library"):
            if side == "library":
                done["library"] = library.run()["seconds"]
                continue
            started = time.perf_counter()
            status, answer = client.post("/api/forecast", body)
            done["daemon"] = time.perf_counter() - started
            data = orjson.loads(answer)
            done["inside"] = data["total_duration"] / 1e9
            done["means"] = np.array([f["mean"] for f in data["forecasts"]])
        done["load"] = load
        rounds.append(done)
        print(
            f"round {index + 1}: daemon {done['daemon']:.3f} s (in the daemon {done['inside']:.3f} s), "
            f"library {done['library']:.3f} s, ratio {done['daemon'] / done['library']:.3f}, load {load:.2f}",
            flush=True,
        )
    return rounds


def summarise(report: Report, args: argparse.Namespace, rounds: list[dict], library_means: np.ndarray) -> int:
    daemon = statistics.median(r["daemon"] for r in rounds)
    library = statistics.median(r["library"] for r in rounds)
    ratio = statistics.median(r["daemon"] / r["library"] for r in rounds)
    name = f"{args.series}x{args.context} h{args.horizon}"
    report.figure(f"{args.model} {name}, daemon", daemon, "s", library, "library in-process, medians")
    report.at_most("daemon / in-process (median of rounds)", ratio, "x", args.max_ratio)
    extra = statistics.median(r["daemon"] - r["library"] for r in rounds)
    report.figure("daemon minus in-process (median)", extra, "s")
    worst = max(float(np.max(np.abs(r["means"] - library_means))) for r in rounds)
    report.at_most("largest difference of the means", worst, "", args.atol)
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
