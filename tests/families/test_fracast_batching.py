"""Dynamic batching in the fracast runner, through a real daemon: merged answers equal unmerged ones.

The rig's runner holds an idle model's first request for up to ``WINDOW_MS`` until
``MAX_SERIES`` series are queued, so ``MAX_SERIES`` concurrent 1-series requests become one
library call (the runner log says ``series=8``). Their histories differ in length (padded in the
merged call as the library masks them), some have gaps and some are longer than the 2,048 values
the model reads, so each request's answer, and its warnings, must be exactly what it gets alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from family_checks import ok

from tollama.testing.families import FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

MODEL = "fracast-0"
MAX_SERIES = 8
WINDOW_MS = 3000
LENGTHS = [100, 2100, 9, 60, 2200, 80, 500, 30]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    env = {"TOLLAMA_BATCH_WINDOW_MS": str(WINDOW_MS), "TOLLAMA_BATCH_MAX_SERIES": str(MAX_SERIES)}
    with FamilyRig("fracast", tmp_path_factory.mktemp("fracast-batching"), env=env) as running:
        assert running.pull(MODEL)[-1]["status"] == "success"
        yield running


def request(length: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    target: list[float | None] = (rng.normal(size=length).cumsum() + 20).round(3).tolist()
    if length > 50:
        target[length // 3] = target[length // 2] = None
    return {
        "model": MODEL,
        "horizon": 60,  # beyond the native 48: the continuation runs on the merged batch too
        "quantiles": [0.1, 0.25, 0.5, 0.9],
        "series": [{"id": "s", "target": target}],
    }


def concurrently(rig: FamilyRig, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    responses: list[Any] = [None] * len(requests)

    def send(index: int) -> None:
        responses[index] = rig.forecast(requests[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    return [r.json() for r in responses]


def merged_calls(rig: FamilyRig) -> int:
    log = (rig.workdir / "home" / "logs" / "runner-fracast.log").read_text(errors="replace")
    return log.count(f"forecast model={MODEL} series={MAX_SERIES} ")


def test_concurrent_requests_share_one_call_and_answer_exactly_as_alone(rig: FamilyRig) -> None:
    requests = [request(n, seed) for seed, n in enumerate(LENGTHS)]
    alone = [ok(rig, r) for r in requests]  # one at a time: each alone in its call
    before = merged_calls(rig)

    merged = concurrently(rig, requests)

    assert merged_calls(rig) == before + 1
    for got, want in zip(merged, alone, strict=True):
        assert got["forecasts"] == want["forecasts"]
        assert sorted(got["warnings"]) == sorted(want["warnings"])
    long = [w for a in merged for w in a["warnings"] if "older history" in w]
    assert len(long) == 2 and all("series 's'" in w for w in long)
