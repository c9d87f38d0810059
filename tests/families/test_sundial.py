"""Sundial through everything a user touches: its runtime, a pull, the daemon and the CLI.

Tiny random checkpoints built from sktime's Sundial classes, in the Hub repo's layout (with
repo code files that raise if anything ever executes them), served by a local hub.
"""

from __future__ import annotations

import json
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
MODEL = "sundial-base-128m"


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    with FamilyRig("sundial", tmp_path_factory.mktemp("sundial")) as running:
        running.install(MODEL)
        yield running


def request(series: list[dict], **options: object) -> dict:
    return {"model": MODEL, "horizon": 12, "quantiles": [0.1, 0.5, 0.9], "series": series, "options": options}


WAVE = [float((i * 7) % 11) + 0.1 * i for i in range(64)]
MIXED = [
    {"id": "a", "freq": "D", "timestamps": [f"2025-01-{d:02d}" for d in range(1, 31)], "target": WAVE[:30]},
    {"id": "b", "target": WAVE},
    {"id": "gaps", "target": [None, 2.0, None, 4.0, *WAVE[:40], None]},
    {"id": "short", "target": [3.0, 4.0]},
    {"id": "b2", "target": [v * 2 for v in WAVE]},
]


def test_pull_takes_the_weights_and_never_the_repo_code(rig: FamilyRig) -> None:
    files = sorted(p.name for p in rig.snapshot(MODEL).iterdir())
    assert files == ["config.json", "generation_config.json", "model.safetensors"]
    shown = rig.cli("show", MODEL)
    assert shown.returncode == 0, shown.stderr
    assert "num_samples" in shown.stdout


def test_daemon_answer_equals_the_library_generate_with_the_same_seed(rig: FamilyRig) -> None:
    body = request(MIXED, num_samples=16, seed=11)
    answer = ok(rig, body)
    assert_same_forecasts(answer, rig.baseline(MODEL, body))
    first = answer["forecasts"][0]
    assert first["timestamps"][0] == "2025-01-31" and len(first["timestamps"]) == 12
    assert all(len(f["mean"]) == 12 and set(f["quantiles"]) == {"0.1", "0.5", "0.9"} for f in answer["forecasts"])
    assert any("'gaps': 3 missing target values" in w for w in answer["warnings"])
    assert runner_python(rig) == str(rig.python)  # the runner runs in the family's own runtime


def test_a_series_answer_does_not_depend_on_its_companions(rig: FamilyRig) -> None:
    together = ok(rig, request(MIXED, num_samples=8, seed=5, batch_size=2))["forecasts"]
    for index in (1, 4):
        alone = ok(rig, request([MIXED[index]], num_samples=8, seed=5))["forecasts"][0]
        assert alone["mean"] == together[index]["mean"]


def test_seed_and_num_samples(rig: FamilyRig) -> None:
    series = [{"id": "b", "target": WAVE}]
    first = ok(rig, request(series, num_samples=32, seed=1))["forecasts"][0]
    assert ok(rig, request(series, num_samples=32, seed=1))["forecasts"][0] == first
    assert ok(rig, request(series, num_samples=32, seed=2))["forecasts"][0]["mean"] != first["mean"]
    default = ok(rig, request(series))["forecasts"][0]
    assert ok(rig, request(series))["forecasts"][0] == default  # no seed given: still reproducible
    one = ok(rig, request(series, num_samples=1))["forecasts"][0]
    assert spread(one) == 0 and one["quantiles"]["0.5"] == one["mean"]
    assert spread(first) > 0


def test_cli_run_of_the_example_equals_the_library(rig: FamilyRig) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "sundial_request.json"
    done = rig.cli("run", MODEL, "--input", str(example), "--no-stream", "--json")
    assert done.returncode == 0, done.stderr
    assert_same_forecasts(json.loads(done.stdout), rig.baseline(MODEL, read_example("sundial_request.json")))


def test_covariates_are_dropped_or_refused(rig: FamilyRig) -> None:
    series = [{"id": "b", "target": WAVE, "past_covariates": {"temp": [float(i) for i in range(64)]}}]
    answer = ok(rig, request(series, seed=3))
    assert any("'temp'" in w and "ignored" in w for w in answer["warnings"])
    plain = ok(rig, request([{"id": "b", "target": WAVE}], seed=3))
    assert answer["forecasts"][0]["mean"] == plain["forecasts"][0]["mean"]
    strict = rig.forecast({**request(series), "parameters": {"covariates_mode": "strict"}})
    assert strict.status_code == 400 and "temp" in strict.json()["error"]


def test_a_context_longer_than_the_model_takes_is_cut_with_a_warning(rig: FamilyRig) -> None:
    body = request([{"id": "long", "target": [float(i % 13) for i in range(3000)]}], num_samples=4)
    answer = ok(rig, body)
    assert any("last 2880 of 3000" in w for w in answer["warnings"])
    assert_same_forecasts(answer, rig.baseline(MODEL, body))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"num_samples": 0}, "options.num_samples"),
        ({"num_samples": 100000}, "options.num_samples"),
        ({"num_samples": "20"}, "options.num_samples"),
        ({"seed": -1}, "options.seed"),
        ({"dtype": "int8"}, "options.dtype"),
        ({"batch_size": 0}, "options.batch_size"),
    ],
)
def test_bad_options_are_a_400_naming_them(rig: FamilyRig, options: dict, field: str) -> None:
    response = rig.forecast(request([{"id": "b", "target": WAVE}], **options))
    assert response.status_code == 400 and field in response.json()["error"]


@pytest.mark.parametrize("how", ["drop", "rename"])
def test_a_corrupted_checkpoint_fails_the_load_with_a_clear_error(rig: FamilyRig, tmp_path: Path, how: str) -> None:
    good = rig.build_checkpoint(MODEL)
    dropped = corrupted_copy(rig, good, tmp_path / "corrupt", how)
    try:
        republish(rig, MODEL, tmp_path / "corrupt")
        response = rig.forecast(request([{"id": "b", "target": WAVE}]))
        assert response.status_code == 500
        message = response.json()["error"]
        assert dropped in message and "pull it again" in message
        assert "Traceback" not in message
        done = rig.cli("run", MODEL, "--input", "-", "--no-stream", input_text=json.dumps(request(MIXED[:1])))
        assert done.returncode == 10 and dropped in done.stderr and "Traceback" not in done.stderr
    finally:
        republish(rig, MODEL, good)
    assert ok(rig, request([{"id": "b", "target": WAVE}]))["forecasts"][0]["mean"]
