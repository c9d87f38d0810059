"""Dynamic batching for Sundial, Toto and Moirai through a real daemon: merged answers equal unmerged ones.

Each family's runner holds an idle model's first request for up to ``WINDOW_MS`` until
``MAX_SERIES`` series are queued, so ``MAX_SERIES`` concurrent 1-series requests become one
library call (the runner log says ``forecast model=... series=MAX_SERIES``). The same requests
sent one after another, each alone in its call, give the unmerged answers. Every series id is
the same (``s``), so the split back to requests is checked too. Histories differ in length,
so Sundial and Toto batch their equal-length series and Moirai pads (masked) within one call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from family_checks import ATOL, RTOL, ok

from tollama.testing.families import FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

MAX_SERIES = 8
WINDOW_MS = 3000
LENGTHS = [100, 120, 60, 100, 90, 80, 100, 64]
# family -> (model, pull body, request extras): Sundial samples under a seed, Toto takes its mean
# path and its sampled path (each series sampled alone), Moirai needs its license accepted.
CASES: dict[str, tuple[str, dict[str, Any], list[dict[str, Any]]]] = {
    "sundial": ("sundial-base-128m", {}, [{"options": {"num_samples": 20, "seed": 3}}]),
    "toto": ("toto-open-base-1.0", {}, [{}, {"options": {"num_samples": 8, "seed": 5}}]),
    "uni2ts": ("moirai-2.0-R-small", {"accept_license": True}, [{}]),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def family_rig(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, FamilyRig]]:
    family = request.param
    model, pull_body, _ = CASES[family]
    env = {"TOLLAMA_BATCH_WINDOW_MS": str(WINDOW_MS), "TOLLAMA_BATCH_MAX_SERIES": str(MAX_SERIES)}
    with FamilyRig(family, tmp_path_factory.mktemp(f"{family}-batching"), env=env) as rig:
        rig.install(model, **pull_body)
        yield family, rig


def one_series_request(model: str, length: int, seed: int, extra: dict[str, Any]) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    target = (rng.normal(size=length).cumsum() + 20).round(3).tolist()
    body = {"model": model, "horizon": 12, "quantiles": [0.1, 0.5, 0.9], "series": [{"id": "s", "target": target}]}
    return {**body, **extra}


def concurrently(rig: FamilyRig, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every request from its own thread at once; the answers in request order."""
    answers: list[Any] = [None] * len(requests)

    def send(index: int) -> None:
        answers[index] = rig.forecast(requests[index]).json()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def merged_calls(rig: FamilyRig, family: str, model: str) -> int:
    log = (rig.workdir / "home" / "logs" / f"runner-{family}.log").read_text(errors="replace")
    return log.count(f"forecast model={model} series={MAX_SERIES} ")


def test_merged_answers_equal_unmerged_ones(family_rig: tuple[str, FamilyRig]) -> None:
    family, rig = family_rig
    model, _, extras = CASES[family]
    for extra in extras:
        requests = [one_series_request(model, n, seed, extra) for seed, n in enumerate(LENGTHS)]
        alone = [ok(rig, body) for body in requests]  # one after another: each alone in its call
        before = merged_calls(rig, family, model)

        merged = concurrently(rig, requests)

        assert all(answer.get("forecasts") for answer in merged), merged
        assert merged_calls(rig, family, model) == before + 1, f"{family} {extra}: not one merged call"
        for got, want in zip(merged, alone, strict=True):
            assert [f["id"] for f in got["forecasts"]] == ["s"]
            first, expected = got["forecasts"][0], want["forecasts"][0]
            np.testing.assert_allclose(first["mean"], expected["mean"], rtol=RTOL, atol=ATOL, err_msg=family)
            for level in expected.get("quantiles") or {}:
                np.testing.assert_allclose(
                    first["quantiles"][level], expected["quantiles"][level], rtol=RTOL, atol=ATOL, err_msg=level
                )
