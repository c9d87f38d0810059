"""TimesFM 2.5 through everything a user touches: its runtime, a pull, the daemon and the CLI.

Tiny random checkpoints saved by the ``timesfm`` package itself, in the Hub repo's layout,
served by a local hub; answers are compared with the library called in-process.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from family_checks import (
    assert_same_forecasts,
    max_difference,
    ok,
    read_example,
    refused,
    runner_info,
    wave,
)

from tollama.testing.families import FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
MODEL = "timesfm-2.5-200m"
FUTURE = [1.0, 0.0, 2.0, 0.0, 1.0, 3.0, 0.0, 1.0]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    with FamilyRig("timesfm", tmp_path_factory.mktemp("timesfm")) as running:
        running.install(MODEL)
        yield running


def request(series: list[dict], **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "horizon": 8, "quantiles": [0.1, 0.25, 0.5, 0.9, 0.95], "series": series, **extra}


def with_promo(sid: str, n: int, scale: float = 1.0) -> dict[str, Any]:
    promo = [float(i % 3 == 0) for i in range(n)]
    return {
        "id": sid,
        "target": wave(n, scale),
        "past_covariates": {"promo": promo},
        "future_covariates": {"promo": FUTURE},
    }


MIXED = [
    {"id": "a", "freq": "D", "timestamps": [f"2025-01-{d:02d}" for d in range(1, 31)], "target": wave(30)},
    {"id": "long", "target": wave(700, 2.0)},
    {"id": "gaps", "target": [None, None, *wave(50)[2:20], None, *wave(50)[21:48], None, 7.0]},
    {"id": "short", "target": [3.0, 4.0]},
    {"id": "one", "target": [5.0]},
    with_promo("cov-1", 90),
    with_promo("cov-2", 64, 3.0),
    {**with_promo("cov-gaps", 80), "target": [None, *wave(80)[1:40], None, *wave(80)[41:]]},
]


def test_pull_takes_the_repo_files(rig: FamilyRig) -> None:
    assert sorted(p.name for p in rig.snapshot(MODEL).iterdir()) == ["config.json", "model.safetensors"]


def test_daemon_answer_equals_the_library(rig: FamilyRig) -> None:
    body = request(MIXED, options={"batch_size": 3})
    answer = ok(rig, body)
    assert_same_forecasts(answer, rig.baseline(MODEL, body))
    first = answer["forecasts"][0]
    assert first["timestamps"][0] == "2025-01-31" and len(first["timestamps"]) == 8
    assert all(set(f["quantiles"]) == {"0.1", "0.25", "0.5", "0.9", "0.95"} for f in answer["forecasts"])
    assert any("0.25 interpolated" in w for w in answer["warnings"])
    assert any("0.95 outside" in w for w in answer["warnings"])
    assert runner_info(rig)["python"] == str(rig.python)  # the runner runs in the family's own runtime


def test_a_series_answer_does_not_depend_on_its_companions(rig: FamilyRig) -> None:
    many = [{"id": f"s{i}", "target": wave(20 + 13 * i, 1 + i / 10)} for i in range(24)]
    together = ok(rig, request(many, options={"batch_size": 5}))["forecasts"]
    for index in (0, 11, 23):
        alone = ok(rig, request([many[index]]))["forecasts"][0]
        assert max_difference(alone, together[index]) < 1e-4


def test_known_future_covariates_change_the_forecast_and_knobs_reach_xreg(rig: FamilyRig) -> None:
    base = request([with_promo("c", 90), with_promo("d", 70, 2.0)])
    moved = copy.deepcopy(base)
    moved["series"][0]["future_covariates"]["promo"] = [5.0] * 8
    assert max_difference(ok(rig, base)["forecasts"][0], ok(rig, moved)["forecasts"][0]) > 1e-3
    knobs = {**base, "parameters": {"timesfm": {"xreg_mode": "timesfm + xreg", "ridge": 0.5, "force_on_cpu": True}}}
    answer = ok(rig, knobs)
    assert_same_forecasts(answer, rig.baseline(MODEL, knobs))
    assert max_difference(answer["forecasts"][0], ok(rig, base)["forecasts"][0]) > 1e-6


def test_past_only_covariates_are_dropped_with_a_warning_and_never_sent(rig: FamilyRig) -> None:
    plain = request([{"id": "w", "target": wave(60)}])
    weather = copy.deepcopy(plain)
    weather["series"][0]["past_covariates"] = {"weather": wave(60, 0.5, 1.0)}
    answer = ok(rig, weather)
    assert any("'weather' (past-only numeric)" in w for w in answer["warnings"])
    assert answer["forecasts"][0]["mean"] == ok(rig, plain)["forecasts"][0]["mean"]
    log = (rig.workdir / "home" / "logs" / "runner-timesfm.log").read_text()
    assert "forecast timesfm-2.5-200m" in log and "weather" not in log
    strict = {**weather, "parameters": {"covariates_mode": "strict"}}
    refused(rig, strict, "weather")


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"parameters": {"timesfm": {"xreg_mode": "xreg only"}}}, ("xreg_mode",)),
        ({"parameters": {"timesfm": {"ridge": -1}}}, ("ridge",)),
        ({"parameters": {"timesfm": {"force_on_cpu": "yes"}}}, ("force_on_cpu",)),
        ({"parameters": {"timesfm": {"rigde": 1.0}}}, ("unknown", "rigde")),
        ({"parameters": {"timesfm": "fast"}}, ("parameters.timesfm",)),
        ({"options": {"torch_compile": "on"}}, ("torch_compile",)),
        ({"options": {"batch_size": 0}}, ("batch_size",)),
    ],
)
def test_bad_knobs_are_refused(rig: FamilyRig, extra: dict[str, Any], words: tuple[str, ...]) -> None:
    refused(rig, request([with_promo("c", 40)], **extra), *words)


def test_residual_mode_needs_more_than_one_patch(rig: FamilyRig) -> None:
    body = request(
        [with_promo("long-enough", 60), with_promo("tiny", 20)],
        parameters={"timesfm": {"xreg_mode": "timesfm + xreg"}},
    )
    refused(rig, body, "'tiny'", "timesfm + xreg")


def test_cli_runs_the_example(rig: FamilyRig, tmp_path: Path) -> None:
    example = read_example("timesfm_2p5_request.json")
    path = tmp_path / "request.json"
    path.write_text(json.dumps(example))
    done = rig.cli("run", MODEL, "--input", str(path), "--no-stream", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert [f["id"] for f in answer["forecasts"]] == ["store-1", "store-2"]
    assert all(len(f["mean"]) == 7 and set(f["quantiles"]) == {"0.1", "0.5", "0.9"} for f in answer["forecasts"])
    assert answer["forecasts"][0]["timestamps"][0] == "2025-01-29"
    assert_same_forecasts(answer, rig.baseline(MODEL, example))
