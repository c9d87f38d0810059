"""TiRex-2 through everything a user touches: its runtime, the sign-up gate, a pull, the daemon and the CLI.

Tiny random checkpoints saved from tirex-2's own ``TiRex2`` class, in the Hub repo's layout, served
by a local hub; answers are compared with ``load_model(...).forecast`` called in-process one series
at a time, so the runner's batching of unequal lengths and covariates is checked too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from family_checks import assert_same_forecasts, ok, refused, runner_info, wave

from tollama.testing.families import FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
MODEL = "tirex-2"


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    with FamilyRig("tirex", tmp_path_factory.mktemp("tirex")) as running:
        running.publish(MODEL)
        yield running


@pytest.fixture(scope="module")
def pulled(rig: FamilyRig) -> FamilyRig:
    done = rig.cli("pull", MODEL, "--accept-license")
    assert done.returncode == 0, done.stderr
    return rig


def with_covariates(sid: str, n: int, horizon: int) -> dict[str, Any]:
    return {
        "id": sid,
        "target": wave(n),
        "past_covariates": {"promo": [float(i % 4 == 0) for i in range(n)], "temp": wave(n, 0.3, 2.0)},
        "future_covariates": {"promo": [float(i % 4 == 0) for i in range(n, n + horizon)]},
    }


def test_pull_is_gated_and_show_says_what_to_accept(rig: FamilyRig) -> None:
    refusal = httpx.post(f"{rig.daemon.base_url}/api/pull", json={"model": MODEL}, timeout=60, trust_env=False)
    assert refusal.status_code == 409 and "--accept-license" in refusal.json()["error"]
    listed = rig.cli("list", "--available")
    row = next(line for line in listed.stdout.splitlines() if line.startswith(MODEL))
    assert "sign-up" in row
    done = rig.cli("pull", MODEL, "--accept-license")
    assert done.returncode == 0, done.stderr
    shown = rig.cli("show", MODEL)
    assert "sign-up" in shown.stdout and "accept NXAI's access conditions" in shown.stdout


def test_daemon_answer_equals_the_library(pulled: FamilyRig) -> None:
    horizon = 24
    body = {
        "model": MODEL,
        "horizon": horizon,
        "quantiles": [0.1, 0.5, 0.9],
        "series": [
            {"id": "a", "freq": "D", "timestamps": [f"2025-01-{d:02d}" for d in range(1, 31)], "target": wave(30)},
            {"id": "long", "target": wave(300, 2.0)},
            {"id": "gaps", "target": [None, *wave(60)[1:25], None, None, *wave(60)[27:59], None]},
            with_covariates("cov", 80, horizon),
            {"id": "short", "target": [3.0, 4.0, 2.5]},
        ],
        "options": {"batch_size": 2},
    }
    answer = ok(pulled, body)
    assert_same_forecasts(answer, pulled.baseline(MODEL, body))
    assert answer["forecasts"][0]["timestamps"][0] == "2025-01-31"
    assert runner_info(pulled)["python"] == str(pulled.python)


def test_covariates_reach_the_model(pulled: FamilyRig) -> None:
    base = with_covariates("s", 64, 8)
    changed = json.loads(json.dumps(base))
    changed["future_covariates"]["promo"] = [v + 40.0 for v in base["future_covariates"]["promo"]]
    past = json.loads(json.dumps(base))
    past["past_covariates"]["temp"] = [v * 5 for v in base["past_covariates"]["temp"]]
    means = [
        ok(pulled, {"model": MODEL, "horizon": 8, "series": [s]})["forecasts"][0]["mean"] for s in (base, changed, past)
    ]
    assert means[0] != means[1] and means[0] != means[2]
    strict = {"model": MODEL, "horizon": 8, "series": [{**base, "past_covariates": {**base["past_covariates"],
              "day": ["a"] * 64}}], "parameters": {"covariates_mode": "strict"}}  # fmt: skip
    refused(pulled, strict, "day")


def test_interpolated_levels_long_horizons_and_devices(pulled: FamilyRig) -> None:
    series = [{"id": "s", "target": wave(50)}]
    answer = ok(pulled, {"model": MODEL, "horizon": 8, "quantiles": [0.25, 0.5], "series": series})
    assert any("0.25 interpolated" in w for w in answer["warnings"])
    want = pulled.baseline(MODEL, {"model": MODEL, "horizon": 8, "quantiles": [0.2, 0.3, 0.5], "series": series})
    heads = {k: np.asarray(v) for k, v in want["forecasts"][0]["quantiles"].items()}
    expected = np.sort([(heads["0.2"] + heads["0.3"]) / 2, heads["0.5"]], axis=0)  # random heads cross: ordered
    got = answer["forecasts"][0]["quantiles"]
    np.testing.assert_allclose([got["0.25"], got["0.5"]], expected, atol=1e-4, rtol=1e-4)
    refused(pulled, {"model": MODEL, "horizon": 33, "series": series}, "horizon 33", "limit of 32")
    refused(pulled, {"model": MODEL, "horizon": 4, "series": series, "options": {"device": "tpu"}}, "options.device")
    done = pulled.cli("run", MODEL, "--input", "-", "--no-stream", "--json",
                      input_text=json.dumps({"horizon": 4, "series": series}))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["forecasts"][0]["mean"]) == 4
