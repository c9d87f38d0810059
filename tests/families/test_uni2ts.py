"""Moirai 2.0 through everything a user touches: its runtime, the license gate, a pull, the daemon and the CLI.

Tiny random checkpoints saved by uni2ts's own ``Moirai2Module``, in the Hub repo's layout, served
by a local hub; answers are compared with uni2ts called in-process (``predict``, and the GluonTS
predictor for covariates).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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
MODEL = "moirai-2.0-R-small"


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    with FamilyRig("uni2ts", tmp_path_factory.mktemp("uni2ts")) as running:
        running.publish(MODEL)
        yield running


@pytest.fixture(scope="module")
def pulled(rig: FamilyRig) -> FamilyRig:
    """The model pulled with the license accepted (after the gate test saw the refusal)."""
    done = rig.cli("pull", MODEL, "--accept-license")
    assert done.returncode == 0, done.stderr
    return rig


def request(series: list[dict], **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "horizon": 12, "quantiles": [0.1, 0.25, 0.5, 0.9, 0.95], "series": series, **extra}


def with_covariates(sid: str, n: int, horizon: int = 12) -> dict[str, Any]:
    return {
        "id": sid,
        "target": wave(n),
        "past_covariates": {"promo": [float(i % 4 == 0) for i in range(n)], "temp": wave(n, 0.3, 2.0)},
        "future_covariates": {"promo": [float(i % 4 == 0) for i in range(n, n + horizon)]},
    }


def test_pull_needs_the_license_accepted(rig: FamilyRig) -> None:
    refusal = httpx.post(f"{rig.daemon.base_url}/api/pull", json={"model": MODEL}, timeout=60, trust_env=False)
    assert refusal.status_code == 409 and "--accept-license" in refusal.json()["error"]
    assert rig.cli("pull", MODEL).returncode == 5
    assert httpx.get(f"{rig.daemon.base_url}/api/tags", timeout=30, trust_env=False).json()["models"] == []


def test_pull_takes_the_repo_files(pulled: FamilyRig) -> None:
    assert sorted(p.name for p in pulled.snapshot(MODEL).iterdir()) == ["config.json", "model.safetensors"]


MIXED = [
    {"id": "a", "freq": "h", "timestamps": [f"2025-01-01T{h:02d}:00:00" for h in range(24)], "target": wave(24)},
    {"id": "long", "target": wave(300, 2.0)},
    {"id": "gaps", "target": [None, *wave(60)[1:25], None, None, *wave(60)[27:59], None]},
    {"id": "short", "target": [3.0, 4.0, 2.5]},
    {"id": "one", "target": [5.0]},
    {"id": "patch", "target": wave(64, 3.0)},
]


def test_daemon_answer_equals_the_library(pulled: FamilyRig) -> None:
    body = request(MIXED, options={"batch_size": 4})
    answer = ok(pulled, body)
    assert_same_forecasts(answer, pulled.baseline(MODEL, body))
    first = answer["forecasts"][0]
    assert first["timestamps"][0] == "2025-01-02T00:00:00" and len(first["timestamps"]) == 12
    assert any("0.25 interpolated" in w for w in answer["warnings"])
    assert runner_info(pulled)["python"] == str(pulled.python)  # the runner runs in the family's own runtime


def test_context_length_option_equals_the_library(pulled: FamilyRig) -> None:
    body = request(MIXED[:4], options={"context_length": 40})
    assert_same_forecasts(ok(pulled, body), pulled.baseline(MODEL, body))


def test_a_series_answer_does_not_depend_on_its_companions(pulled: FamilyRig) -> None:
    many = [{"id": f"s{i}", "target": wave(5 + 17 * i, 1 + i / 10)} for i in range(20)]
    together = ok(pulled, request(many, options={"batch_size": 6}))["forecasts"]
    for index in (0, 9, 19):
        alone = ok(pulled, request([many[index]]))["forecasts"][0]
        assert max_difference(alone, together[index]) < 1e-4


def test_covariates_go_through_forward_and_equal_the_gluonts_predictor(pulled: FamilyRig) -> None:
    body = request([with_covariates("c1", 80), with_covariates("c2", 72), {"id": "plain", "target": wave(50)}])
    body["options"] = {"context_length": 64}  # the GluonTS path pads short series its own way
    answer = ok(pulled, body)
    assert_same_forecasts(answer, pulled.baseline(MODEL, body))
    moved_future = copy.deepcopy(body)
    moved_future["series"][0]["future_covariates"]["promo"] = [4.0] * 12
    assert max_difference(ok(pulled, moved_future)["forecasts"][0], answer["forecasts"][0]) > 1e-4
    moved_past = copy.deepcopy(body)
    moved_past["series"][0]["past_covariates"]["temp"] = [9.0] * 80
    assert max_difference(ok(pulled, moved_past)["forecasts"][0], answer["forecasts"][0]) > 1e-4
    log = (pulled.workdir / "home" / "logs" / "runner-uni2ts.log").read_text()
    assert "covariates ['promo', 'temp']" in log


def test_categorical_covariates_are_dropped_with_a_warning(pulled: FamilyRig) -> None:
    plain = request([{"id": "w", "target": wave(60)}])
    labelled = copy.deepcopy(plain)
    labelled["series"][0]["past_covariates"] = {"dow": [str(i % 7) for i in range(60)]}
    answer = ok(pulled, labelled)
    assert any("'dow' (past-only categorical)" in w for w in answer["warnings"])
    assert answer["forecasts"][0]["mean"] == ok(pulled, plain)["forecasts"][0]["mean"]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"context_length": 0}, ("context_length",)),
        ({"context_length": 5000}, ("context_length", "4096")),
        ({"context_length": "long"}, ("context_length",)),
        ({"batch_size": -1}, ("batch_size",)),
        ({"device": "cuda"}, ("options.device",)),  # the runtime's torch is the CPU build
        ({"device": "tpu"}, ("options.device",)),
    ],
)
def test_bad_options_are_refused(pulled: FamilyRig, options: dict[str, Any], words: tuple[str, ...]) -> None:
    refused(pulled, request([{"id": "x", "target": wave(30)}], options=options), *words)


def test_cli_runs_the_example(pulled: FamilyRig, tmp_path: Path) -> None:
    example = read_example("moirai_2p0_request.json")
    path = tmp_path / "request.json"
    path.write_text(json.dumps(example))
    done = pulled.cli("run", MODEL, "--input", str(path), "--no-stream", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    (forecast,) = answer["forecasts"]
    assert forecast["id"] == "store-1" and len(forecast["mean"]) == 7
    assert forecast["timestamps"][0] == "2025-01-29"
    assert set(forecast["quantiles"]) == {"0.1", "0.5", "0.9"}
