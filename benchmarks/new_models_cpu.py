"""CPU speed of the 2026 models at real size (random weights) through the daemon, against Chronos-Bolt-small.

    python benchmarks/new_models_cpu.py                        # 256 series x 512, horizon 24, 3 rounds
    python benchmarks/new_models_cpu.py --series 64 --rounds 1 --workdir /tmp/bench

Each model is built at its real architecture size with its family runtime's python
(``tollama.testing.checkpoints ... --size real``), served by a local hub and pulled into a daemon
of its own (``harness.family_rig``). One round is one ``POST /api/forecast`` of every series
(hourly, quantiles 0.1/0.5/0.9) after a warm-up; the figure is the median round's series per
second, printed beside Chronos-Bolt-small's on the same series in the same run (the reference a
CPU user knows), so the ratio is what matters, not the machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import orjson
from harness import LeanClient, Report, family_rig
from torch_overhead import make_series

MODELS = ("chronos-2-small", "flowstate-r1.1", "tirex-2")
REFERENCE = "chronos-bolt-small"


def series_per_second(model: str, values, horizon: int, rounds: int, workdir: Path) -> float:
    series = [{"id": f"s{i}", "freq": "h", "target": row} for i, row in enumerate(values.tolist())]
    body = orjson.dumps(
        {"model": model, "horizon": horizon, "quantiles": [0.1, 0.5, 0.9], "stream": False, "series": series}
    )
    with family_rig(model, workdir) as (rig, _):
        client = LeanClient(rig.daemon.base_url)
        try:
            status, answer = client.post("/api/forecast", body)  # warm-up: load and first call
            if status != 200:
                raise SystemExit(f"{model}: {status} {answer[:300]!r}")
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                status, _ = client.post("/api/forecast", body)
                times.append(time.perf_counter() - start)
        finally:
            client.close()
    return len(series) / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=256)
    parser.add_argument("--context", type=int, default=512)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    report = Report()
    report.header(f"new_models_cpu.py --series {args.series} --context {args.context} --horizon {args.horizon}")
    values = make_series(args.series, args.context)
    with tempfile.TemporaryDirectory(prefix="tollama-new-models-") as tmp:
        workdir = args.workdir or Path(tmp)
        reference = series_per_second(REFERENCE, values, args.horizon, args.rounds, workdir)
        report.figure(f"{REFERENCE} (reference)", reference, "series/s")
        for model in MODELS:
            rate = series_per_second(model, values, args.horizon, args.rounds, workdir)
            report.figure(model, rate, "series/s", baseline=reference, baseline_name=REFERENCE)
    raise SystemExit(report.exit_code)


if __name__ == "__main__":
    main()
