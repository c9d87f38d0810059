"""The ceiling for ``concurrency.py``: a family's runner adapter in-process, every series in one call.

Run with the family's runtime python (the library lives only there); ``concurrency.py`` starts it::

    <runtime python> benchmarks/adapter_baseline.py --manifest m.json --request r.json --runs 3

It builds the adapter exactly as the runner's console script does (``tollama.runners.<family>.main``),
loads the model from the manifest, warms up on the request, then times ``--runs`` calls of
``adapter.forecast`` on the whole request: the library's own batching of those series, with no
daemon, no HTTP and no JSON. It prints ``{"seconds": <median>, "forecasts": [...]}`` so the caller
can check the daemon answered the same.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

from tollama.core.schemas import ForecastRequest, ModelManifest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--request", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    manifest = ModelManifest.model_validate_json(args.manifest.read_text())
    request = ForecastRequest.model_validate_json(args.request.read_text())
    runner_main = importlib.import_module(f"tollama.runners.{manifest.family}.main")
    build = getattr(runner_main, "_build", None) or runner_main._adapter
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        adapter = build()
        adapter.load(manifest)
        answer = adapter.forecast(manifest.name, request)  # warm on the real shapes
        seconds = []
        for _ in range(args.runs):
            started = time.perf_counter()
            adapter.forecast(manifest.name, request)
            seconds.append(time.perf_counter() - started)
    forecasts = [f.model_dump(mode="json") for f in answer.forecasts]
    print(json.dumps({"seconds": statistics.median(seconds), "forecasts": forecasts}), file=out)


if __name__ == "__main__":
    main()
