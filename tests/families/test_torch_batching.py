"""Dynamic batching in the torch runner, through a real daemon: merged calls answer like unmerged ones.

The rig's runner holds each idle model's first request for up to ``WINDOW_MS`` until
``MAX_SERIES`` series are queued (``TOLLAMA_BATCH_WINDOW_MS`` / ``TOLLAMA_BATCH_MAX_SERIES``), so
``MAX_SERIES`` concurrent 1-series requests become one library call whatever the machine's load;
the runner log shows it (``forecast model=... series=N``). Every series id is the same, so the
split back to requests is checked too, and some histories are longer (or shorter) than the
model reads, so the warnings naming series must reach only their own request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from family_checks import ATOL, RTOL, ok

from tollama.testing.families import FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

MODELS = ("chronos-bolt-small", "chronos2", "granite-ttm-r2")
MAX_SERIES = 8
WINDOW_MS = 3000
# Per model: history lengths of the MAX_SERIES requests, so that some exceed the context it reads
# (Bolt's tiny checkpoint reads 2048, TTM 512) and, for TTM, some are shorter than it.
LENGTHS = {
    "chronos-bolt-small": [100, 2100, 60, 100, 2200, 80, 100, 90],
    "chronos2": [100, 120, 60, 100, 90, 80, 100, 30],
    "granite-ttm-r2": [600, 100, 512, 700, 60, 512, 520, 512],
}
CONTEXT = {"chronos-bolt-small": 2048, "chronos2": 8192, "granite-ttm-r2": 512}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    env = {"TOLLAMA_BATCH_WINDOW_MS": str(WINDOW_MS), "TOLLAMA_BATCH_MAX_SERIES": str(MAX_SERIES)}
    with FamilyRig("torch", tmp_path_factory.mktemp("torch-batching-rig"), env=env) as rig:
        for model in MODELS:
            rig.publish(model)
            events = rig.pull(model)
            assert events[-1].get("status") == "success", events
        yield rig


def one_series_request(model: str, length: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    target = (rng.normal(size=length).cumsum() + 20).round(3).tolist()
    return {
        "model": model,
        "horizon": 12,
        "quantiles": [0.1, 0.5, 0.9],
        "series": [{"id": "s", "freq": "h", "target": target}],
    }


def concurrently(rig: FamilyRig, requests: list[dict[str, Any]]) -> list[Any]:
    """Every request from its own thread at once; the responses in request order."""
    responses: list[Any] = [None] * len(requests)

    def send(index: int) -> None:
        responses[index] = rig.forecast(requests[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def merged_calls(rig: FamilyRig, model: str) -> int:
    log = (rig.workdir / "home" / "logs" / "runner-torch.log").read_text(errors="replace")
    return log.count(f"forecast model={model} series={MAX_SERIES} ")


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    np.testing.assert_allclose(got["mean"], want["mean"], rtol=RTOL, atol=ATOL)
    levels = sorted(want.get("quantiles") or {}, key=float)
    ordered = np.sort(np.asarray([want["quantiles"][q] for q in levels]), axis=0) if levels else []
    for level, values in zip(levels, ordered, strict=True):  # the daemon orders crossing random heads
        np.testing.assert_allclose(got["quantiles"][level], values, rtol=RTOL, atol=ATOL, err_msg=level)


@pytest.mark.parametrize("model", MODELS)
def test_concurrent_requests_share_one_call_and_answer_as_alone(rig: FamilyRig, model: str) -> None:
    requests = [one_series_request(model, n, seed) for seed, n in enumerate(LENGTHS[model])]
    alone = ok(rig, requests[0])  # loads the model; alone in its call (the window closes on nobody)
    before = merged_calls(rig, model)

    answers = [response.json() for response in concurrently(rig, requests)]

    assert all(response.get("forecasts") for response in answers), answers
    assert merged_calls(rig, model) == before + 1
    combined = {**requests[0], "series": [{**r["series"][0], "id": str(k)} for k, r in enumerate(requests)]}
    expected = rig.baseline(model, combined)["forecasts"]  # the library in-process, on the same series
    assert_same(alone["forecasts"][0], expected[0])
    for k, (answer, request) in enumerate(zip(answers, requests, strict=True)):
        assert [f["id"] for f in answer["forecasts"]] == ["s"]
        assert_same(answer["forecasts"][0], expected[k])
        length = len(request["series"][0]["target"])
        history = [w for w in answer.get("warnings", []) if "older history" in w]
        cut = f"{model} reads at most the last {CONTEXT[model]} values; older history of series 's' was ignored"
        assert history == ([cut] if length > CONTEXT[model] else [])
        padded = [w for w in answer.get("warnings", []) if "left-padded" in w]
        assert len(padded) == (model == "granite-ttm-r2" and length < CONTEXT[model])
