"""The in-process side of ``torch_overhead.py``: the chronos library on the same series, timed by itself.

Run with the torch runtime's python (the library lives only there); ``torch_overhead.py`` starts it::

    <runtime python> benchmarks/torch_baseline.py --snapshot DIR --data series.npy --horizon 24

It loads the pipeline as the runner does (``BaseChronosPipeline.from_pretrained``, CPU,
float32, as many torch threads as the runner uses), warms up, prints ``{"ready": ...}``, and then
answers each line on stdin with one timed run over every series: ``predict_quantiles`` on chunks
of ``--batch-size`` series (the runner's default chunk), inputs as 1-D float32 tensors. The first
run's means are saved to ``--means`` so the caller can check the daemon answered the same.
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
from chronos import BaseChronosPipeline


def run(pipe: BaseChronosPipeline, series: np.ndarray, horizon: int, levels: list[float], batch: int) -> np.ndarray:
    """Means (series x horizon) of the whole set, ``batch`` series per library call."""
    means = []
    with torch.inference_mode():
        for start in range(0, len(series), batch):
            inputs = [torch.from_numpy(row) for row in series[start : start + batch]]
            _, mean = pipe.predict_quantiles(inputs, prediction_length=horizon, quantile_levels=levels)
            means.append(mean.numpy())
    return np.concatenate(means)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="a (series, context) float array")
    parser.add_argument("--horizon", type=int, required=True)
    parser.add_argument("--quantiles", default="0.1,0.5,0.9")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--means", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    levels = [float(q) for q in args.quantiles.split(",")]
    series = np.load(args.data).astype(np.float32)
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        pipe = BaseChronosPipeline.from_pretrained(str(args.snapshot), device_map="cpu", dtype=torch.float32)
        run(pipe, series, args.horizon, levels, args.batch_size)  # warm on the real shapes
    print(json.dumps({"ready": True, "threads": torch.get_num_threads()}), file=out, flush=True)
    for index, _ in enumerate(sys.stdin):
        cpu, started = time.process_time(), time.perf_counter()
        means = run(pipe, series, args.horizon, levels, args.batch_size)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if index == 0:
            np.save(args.means, means)
        print(json.dumps({"seconds": seconds, "cpu_seconds": cpu}), file=out, flush=True)


if __name__ == "__main__":
    main()
