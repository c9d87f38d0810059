"""The in-process side of ``fracast_overhead.py``: ``FracastModel`` on the same batches, timed by itself.

Run with the fracast runtime's python (the library lives only there); ``fracast_overhead.py``
starts it. It loads the model as the runner does (``FracastModel.from_pretrained(folder,
weights=...)``, CPU, as many torch threads as the runner uses), warms up, prints
``{"ready": ...}``, then answers each line on stdin with one timed pass over every series:
``forecast_batch`` on chunks of ``--batch-size`` series (the runner's default), each chunk
left-padded with NaN to its longest series, as the runner does. The first pass's medians are
saved to ``--means`` so the caller can check the daemon answered the same.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from fracast import FracastModel


def run(model: FracastModel, series: list[np.ndarray], horizon: int, batch: int) -> np.ndarray:
    """Medians (series x horizon) of the whole set, ``batch`` series per library call."""
    medians = []
    for start in range(0, len(series), batch):
        chunk = series[start : start + batch]
        width = max(row.size for row in chunk)
        values = np.full((len(chunk), width), np.nan, dtype=np.float32)
        for index, row in enumerate(chunk):
            values[index, width - row.size :] = row
        medians.append(model.forecast_batch(values, horizon=horizon)[:, :, model.quantiles.index(0.5)])
    return np.concatenate(medians)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", type=Path, required=True, help="the pulled model's weights folder")
    parser.add_argument("--weights", default="w8")
    parser.add_argument("--data", type=Path, required=True, help="an .npz of 'values' (padded) and 'lengths'")
    parser.add_argument("--horizon", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--means", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = np.load(args.data)
    series = [row[row.size - n :].astype(np.float32) for row, n in zip(data["values"], data["lengths"], strict=True)]
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        model = FracastModel.from_pretrained(str(args.folder), weights=args.weights)
        run(model, series[: args.batch_size * 4], args.horizon, args.batch_size)  # warm up
    print(json.dumps({"ready": True, "threads": torch.get_num_threads()}), file=out, flush=True)
    for index, _ in enumerate(sys.stdin):
        cpu, started = time.process_time(), time.perf_counter()
        medians = run(model, series, args.horizon, args.batch_size)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if index == 0:
            np.save(args.means, medians)
        print(json.dumps({"seconds": seconds, "cpu_seconds": cpu}), file=out, flush=True)


if __name__ == "__main__":
    main()
