"""Batch jobs at scale: the local engine vs requests by hand, and Ray with one and two workers.

    python benchmarks/batch_scale.py                          # 20,000 daily series of 200 points
    python benchmarks/batch_scale.py --series 2000 --no-ray   # a quick look

The input is Parquet (long format) in a temporary folder, cut into ``--rounds`` files of equal
size. The baseline is what a user writes by hand: read a file with pandas, cut it into chunks of
``--chunk-series`` series, send one ``Client.forecast`` (``POST /api/forecast``) per chunk to
the same daemon, write the answers to Parquet. The local engine is
``tollama.batch.forecast_files`` on the same file and daemon (the runner warmed by one request
first, for both). The two take turns file by file, so background load hits both alike; the
ratio is total engine time over total baseline time. Ray runs the same job on a
local cluster this script starts, with one and then two workers (one CPU each, plus one CPU
for reading and shuffling); its time includes starting the cluster and the actors' runners.
Ray's overhead per chunk is (Ray with one worker − local engine) / chunks. Exits 1 when the
local engine takes more than ``--max-ratio`` (default 1.1) times the baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Report, own_daemon

from tollama import Client
from tollama.batch import forecast_files


def make_input(series: int, length: int, path: Path, seed: int = 0) -> pd.DataFrame:
    """Daily series with a weekly cycle and noise, ids in order, one Parquet file (``seed`` also offsets ids)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(100, 1000, size=(series, 1))
    values = level * (1 + 0.2 * np.sin(2 * np.pi * t / 7)) + rng.normal(0, 5, size=(series, length))
    frame = pd.DataFrame({
        "unique_id": np.repeat([f"item-{seed:02d}-{i:07d}" for i in range(series)], length),
        "ds": np.tile(pd.date_range("2024-01-01", periods=length, freq="D").to_numpy(), series),
        "y": values.ravel().round(3),
    })  # fmt: skip
    frame.to_parquet(path, index=False, row_group_size=200_000)
    return frame


def by_hand(client: Client, path: Path, out: Path, model: str, horizon: int, chunk_series: int) -> float:
    """The user's loop: pandas in, one request per chunk of series, Parquet out."""
    started = time.perf_counter()
    frame = pd.read_parquet(path)
    ids = frame["unique_id"].unique()
    out.mkdir()
    for number, first in enumerate(range(0, len(ids), chunk_series)):
        chunk = frame[frame["unique_id"].isin(ids[first : first + chunk_series])]
        result = client.forecast(chunk, model=model, horizon=horizon, quantiles=[0.1, 0.9])
        result.df.to_parquet(out / f"part-{number:06d}.parquet", index=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--chunk-series", type=int, default=1000)
    parser.add_argument("--model", default="seasonal-naive")
    parser.add_argument("--max-ratio", type=float, default=1.1)
    parser.add_argument("--rounds", type=int, default=4, help="Input files; hand and engine take turns on each.")
    parser.add_argument("--no-ray", action="store_true", help="Skip the Ray runs.")
    args = parser.parse_args()
    report = Report()
    report.header(" ".join(["python benchmarks/batch_scale.py", *sys.argv[1:]]))
    chunks = -(-args.series // args.chunk_series)
    job = {"horizon": args.horizon, "quantiles": [0.1, 0.9], "chunk_series": args.chunk_series}
    with tempfile.TemporaryDirectory(prefix="batch-scale-") as workdir, own_daemon(args.model) as daemon:
        root = Path(workdir)
        source = root / "input"
        source.mkdir()
        files = [source / f"part-{r}.parquet" for r in range(args.rounds)]
        for r, path in enumerate(files):
            make_input(args.series // args.rounds, args.length, path, seed=r)
        print(f"# {args.series:,} series x {args.length} points, {chunks} chunks of {args.chunk_series}, "
              f"model {args.model}, horizon {args.horizon}", flush=True)  # fmt: skip
        client = Client(base_url=daemon.base_url, timeout=3600)
        client.forecast(pd.read_parquet(files[0]).head(args.length * 10), model=args.model, horizon=args.horizon)
        hand = local = 0.0
        for r, path in enumerate(files):
            if r % 2:  # alternate which goes first
                local += forecast_files(args.model, path, root / f"local-{r}", base_url=daemon.base_url, **job).seconds
            hand += by_hand(client, path, root / f"hand-{r}", args.model, args.horizon, args.chunk_series)
            if not r % 2:
                local += forecast_files(args.model, path, root / f"local-{r}", base_url=daemon.base_url, **job).seconds
        report.figure("by hand: series/s", args.series / hand, "series/s")
        report.figure("local engine: seconds", local, "s", hand, "by hand")
        report.at_most("local engine / by hand", local / hand, "x", args.max_ratio)
        report.figure("local engine: series/s", args.series / local, "series/s")
        if not args.no_ray:
            rates = {}
            for workers in (1, 2):
                seconds = forecast_files(
                    args.model, source, root / f"ray-{workers}", engine="ray", workers=workers, **job
                ).seconds
                rates[workers] = args.series / seconds
                report.figure(f"ray, {workers} worker(s): series/s", rates[workers], "series/s",
                              args.series / local, "local engine")  # fmt: skip
                if workers == 1:
                    report.figure("ray overhead per chunk", (seconds - local) / chunks * 1000, "ms")
            report.figure("ray: 2 workers / 1 worker", rates[2] / rates[1], "x")
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
