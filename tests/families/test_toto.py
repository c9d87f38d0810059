"""Toto through everything a user touches: its runtime, a pull, the daemon and the CLI.

Tiny random checkpoints built from ``timecopilot-toto``'s ``Toto`` class in the Hub repo's
layout (``config.json`` + ``model.safetensors``), served by a local hub.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from family_checks import (
    assert_same_forecasts,
    corrupted_copy,
    ok,
    read_example,
    republish,
    runner_python,
    spread,
)

from tollama.testing.families import FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
MODEL = "toto-open-base-1.0"


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    with FamilyRig("toto", tmp_path_factory.mktemp("toto")) as running:
        running.install(MODEL)
        yield running


def request(series: list[dict], horizon: int = 20, **options: object) -> dict:
    return {"model": MODEL, "horizon": horizon, "quantiles": [0.1, 0.5, 0.9], "series": series, "options": options}


WAVE = [10 + 3 * math.sin(i / 3) + 0.05 * i for i in range(80)]
TEMP = [math.cos(i / 5) * 4 for i in range(80)]
MIXED = [
    {"id": "a", "freq": "h", "timestamps": [f"2025-01-01T{h:02d}:00:00" for h in range(24)], "target": WAVE[:24]},
    {"id": "b", "target": WAVE},
    {"id": "cov", "target": WAVE, "past_covariates": {"temp": TEMP}},
    {"id": "gaps", "target": [None, *WAVE[1:40], None, *WAVE[41:60]]},
    {"id": "short", "target": [3.0]},
    {"id": "b2", "target": [2 * v for v in WAVE]},
]


@pytest.mark.parametrize(
    "options",
    [{}, {"num_samples": 16, "seed": 4}, {"num_samples": 8, "use_kv_cache": False}],
    ids=["mean-path", "sampled", "no-kv-cache"],
)
def test_daemon_answer_equals_the_library_forecaster(rig: FamilyRig, options: dict) -> None:
    body = request(MIXED, **options, batch_size=2)
    answer = ok(rig, body)
    assert_same_forecasts(answer, rig.baseline(MODEL, body))
    first = answer["forecasts"][0]
    assert first["timestamps"][0] == "2025-01-02T00:00:00" and len(first["timestamps"]) == 20
    assert all(len(f["mean"]) == 20 for f in answer["forecasts"])
    assert any("'gaps': 2 missing target values" in w for w in answer["warnings"])
    assert runner_python(rig) == str(rig.python)  # the runner runs in the family's own runtime


def test_the_mean_path_warns_that_quantiles_need_samples(rig: FamilyRig) -> None:
    answer = ok(rig, request([MIXED[1]]))
    forecast = answer["forecasts"][0]
    assert forecast["quantiles"]["0.1"] == forecast["mean"] == forecast["quantiles"]["0.9"]
    assert any("options.num_samples" in w for w in answer["warnings"])


def test_num_samples_and_seed(rig: FamilyRig) -> None:
    series = [MIXED[1]]
    first = ok(rig, request(series, num_samples=32, seed=1))["forecasts"][0]
    assert ok(rig, request(series, num_samples=32, seed=1))["forecasts"][0] == first
    assert ok(rig, request(series, num_samples=32, seed=2))["forecasts"][0]["mean"] != first["mean"]
    one = ok(rig, request(series, num_samples=1))["forecasts"][0]
    assert spread(one) == 0 and spread(first) > 0
    alone = ok(rig, request([MIXED[2]], num_samples=8, seed=7))["forecasts"][0]
    together = ok(rig, request(MIXED, num_samples=8, seed=7))["forecasts"][2]
    assert alone["mean"] == together["mean"]  # a series' samples do not depend on its companions


def test_a_past_covariate_reaches_the_model_and_a_future_one_is_dropped(rig: FamilyRig) -> None:
    plain = ok(rig, request([MIXED[1]]))["forecasts"][0]["mean"]
    with_past = ok(rig, request([MIXED[2]]))["forecasts"][0]["mean"]
    assert with_past != plain
    future = {**MIXED[1], "past_covariates": {"promo": TEMP}, "future_covariates": {"promo": [0.0] * 20}}
    answer = ok(rig, request([future]))
    assert answer["forecasts"][0]["mean"] == plain
    assert any("'promo' (known-future numeric)" in w for w in answer["warnings"])
    strict = rig.forecast({**request([future]), "parameters": {"covariates_mode": "strict"}})
    assert strict.status_code == 400 and "promo" in strict.json()["error"]


def test_many_series_in_small_batches(rig: FamilyRig) -> None:
    series = [{"id": f"s{i}", "target": [v * (1 + i / 10) for v in WAVE[: 30 + i % 3]]} for i in range(24)]
    body = request(series, horizon=5, batch_size=5)
    assert_same_forecasts(ok(rig, body), rig.baseline(MODEL, body))


def test_half_precision_takes_the_mean_path_and_refuses_to_sample_on_cpu(rig: FamilyRig) -> None:
    half = ok(rig, request([MIXED[1]], dtype="bfloat16"))["forecasts"][0]["mean"]
    full = ok(rig, request([MIXED[1]]))["forecasts"][0]["mean"]
    assert max(abs(a - b) for a, b in zip(half, full, strict=True)) < 0.5 * max(abs(v) for v in full)
    refused = rig.forecast(request([MIXED[1]], dtype="bfloat16", num_samples=4))
    assert refused.status_code == 400 and "options.dtype" in refused.json()["error"]


def test_cli_run_of_the_example_equals_the_library(rig: FamilyRig) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "toto_request.json"
    done = rig.cli("run", MODEL, "--input", str(example), "--no-stream", "--json")
    assert done.returncode == 0, done.stderr
    assert_same_forecasts(json.loads(done.stdout), rig.baseline(MODEL, read_example("toto_request.json")))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"num_samples": -1}, "options.num_samples"),
        ({"num_samples": 5000}, "options.num_samples"),
        ({"use_kv_cache": "yes"}, "options.use_kv_cache"),
        ({"seed": 1.5}, "options.seed"),
        ({"dtype": "float64"}, "options.dtype"),
    ],
)
def test_bad_options_are_a_400_naming_them(rig: FamilyRig, options: dict, field: str) -> None:
    response = rig.forecast(request([MIXED[1]], **options))
    assert response.status_code == 400 and field in response.json()["error"]


@pytest.mark.parametrize("how", ["drop", "rename"])
def test_a_corrupted_checkpoint_fails_the_load_with_a_clear_error(rig: FamilyRig, tmp_path: Path, how: str) -> None:
    good = rig.build_checkpoint(MODEL)
    dropped = corrupted_copy(rig, good, tmp_path / "corrupt", how)
    try:
        republish(rig, MODEL, tmp_path / "corrupt")
        response = rig.forecast(request([MIXED[1]]))
        assert response.status_code == 500
        message = response.json()["error"]
        assert dropped in message and "pull it again" in message and "Traceback" not in message
    finally:
        republish(rig, MODEL, good)
    assert ok(rig, request([MIXED[1]]))["forecasts"][0]["mean"]
