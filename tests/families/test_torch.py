"""The torch family end to end: runtime, pull, forecast through daemon and CLI, equal to the libraries.

Random-initialised tiny checkpoints (``tollama.testing.checkpoints.torch``) are served from a local
hub under the real repo ids; every answer is compared with the library called in-process on the
same snapshot (``rig.baseline``), which calls it one series at a time, so grouping, batching,
padding and slicing in the runner are checked too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tollama.testing.families import FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

MODELS = ("chronos2", "chronos-2-small", "chronos-bolt-small", "chronos-bolt-base", "granite-ttm-r2", "flowstate-r1.1")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    with FamilyRig("torch", tmp_path_factory.mktemp("torch-rig")) as rig:
        for model in MODELS:
            rig.install(model)
        yield rig


def series(sid: str, n: int, horizon: int, covariates: str = "", gaps: bool = False) -> dict[str, Any]:
    """A random walk with daily timestamps; ``covariates``: '' | 'numeric' | 'mixed'."""
    out: dict[str, Any] = {
        "id": sid,
        "freq": "D",
        "timestamps": [str(d) for d in np.datetime64("2024-01-01") + np.arange(n)],
        "target": (RNG.normal(size=n).cumsum() + 20).round(3).tolist(),
    }
    if gaps and n > 4:
        out["target"][1] = out["target"][n // 2] = None
    if covariates:
        out["past_covariates"] = {
            "temp": RNG.normal(size=n).tolist(),
            "promo": RNG.integers(0, 2, n).astype(float).tolist(),
        }
        out["future_covariates"] = {"promo": RNG.integers(0, 2, horizon).astype(float).tolist()}
    if covariates == "mixed":
        out["past_covariates"]["day"] = RNG.choice(["a", "b", "c"], n).tolist()
        out["future_covariates"]["day"] = RNG.choice(["a", "b", "c"], horizon).tolist()
    return out


def forecast(rig: FamilyRig, request: dict[str, Any]) -> dict[str, Any]:
    response = rig.forecast(request)
    assert response.status_code == 200, response.text
    return response.json()


def assert_matches(
    answer: dict[str, Any], expected: dict[str, Any], atol: float = 1e-4, quantiles: bool = True
) -> None:
    """Equal within float tolerance; the daemon orders crossing quantile heads (random models cross)."""
    want = {f["id"]: f for f in expected["forecasts"]}
    assert [f["id"] for f in answer["forecasts"]] == list(want)
    for got in answer["forecasts"]:
        np.testing.assert_allclose(got["mean"], want[got["id"]]["mean"], atol=atol, rtol=1e-4)
        if quantiles:
            keys = sorted(want[got["id"]]["quantiles"], key=float)
            assert sorted(got["quantiles"], key=float) == keys
            ordered = np.sort(np.array([want[got["id"]]["quantiles"][k] for k in keys]), axis=0)
            np.testing.assert_allclose([got["quantiles"][k] for k in keys], ordered, atol=atol, rtol=1e-4)


def runner_log(rig: FamilyRig) -> str:
    return (rig.workdir / "home" / "logs" / "runner-torch.log").read_text(errors="replace")


def test_chronos2_mixed_covariates_batches_and_gaps_equal_the_library(rig: FamilyRig) -> None:
    horizon = 12
    request = {
        "model": "chronos2",
        "horizon": horizon,
        "quantiles": [0.05, 0.1, 0.33, 0.5, 0.9],
        "series": [
            series("plain", 80, horizon, gaps=True),
            series("numeric", 60, horizon, "numeric"),
            series("mixed", 90, horizon, "mixed"),
            series("short", 1, horizon),
            series("numeric-2", 40, horizon, "numeric"),
        ],
        "options": {"batch_size": 2},
    }
    answer = forecast(rig, request)
    assert_matches(answer, rig.baseline("chronos2", request))
    first = answer["forecasts"][0]
    assert len(first["timestamps"]) == horizon and first["start_timestamp"] == "2024-03-21"
    assert any("0.33" in w and "interpolated" in w for w in answer["warnings"])
    assert not any("0.05" in w for w in answer["warnings"])  # a native level


def test_chronos2_uses_known_future_and_categorical_covariates(rig: FamilyRig) -> None:
    base = series("s", 64, 8, "mixed")
    changed = json.loads(json.dumps(base))
    changed["future_covariates"]["promo"] = [v + 50.0 for v in base["future_covariates"]["promo"]]
    relabelled = json.loads(json.dumps(base))
    relabelled["future_covariates"]["day"] = ["c" if d == "a" else "a" for d in base["future_covariates"]["day"]]
    means = [
        forecast(rig, {"model": "chronos2", "horizon": 8, "series": [s]})["forecasts"][0]["mean"]
        for s in (base, changed, relabelled)
    ]
    assert not np.allclose(means[0], means[1])
    assert not np.allclose(means[0], means[2])
    assert "covariates=day,promo,temp" in runner_log(rig)


@pytest.mark.parametrize("model", ["chronos-bolt-small", "chronos-bolt-base"])
def test_bolt_forecasts_the_target_only_and_drops_covariates_unsent(rig: FamilyRig, model: str) -> None:
    request = {
        "model": model,
        "horizon": 70,  # beyond Bolt's 64: the library unrolls
        "quantiles": [0.05, 0.5, 0.9],
        "series": [series("a", 50, 70, "numeric", gaps=True), series("b", 3, 70), series("c", 2100, 70)],
    }
    answer = forecast(rig, request)
    assert_matches(answer, rig.baseline(model, request))
    warnings = " | ".join(answer["warnings"])
    assert "'temp' (past-only numeric) is not supported" in warnings
    assert "clamped" in warnings and "2048" in warnings
    assert f"forecast model={model} series=3 horizon=70 covariates=-" in runner_log(rig)


def test_granite_point_forecast_padding_cutting_and_limits(rig: FamilyRig) -> None:
    request = {
        "model": "granite-ttm-r2",
        "horizon": 24,
        "quantiles": [0.1, 0.9],
        "series": [series("long", 700, 24), series("short", 30, 24, "numeric", gaps=True), series("tiny", 1, 24)],
        "options": {"batch_size": 2},
    }
    answer = forecast(rig, request)
    assert_matches(answer, rig.baseline("granite-ttm-r2", request), quantiles=False)
    for out in answer["forecasts"]:
        assert out["quantiles"] == {"0.1": out["mean"], "0.9": out["mean"]}
    warnings = " | ".join(answer["warnings"])
    assert "point forecasts only" in warnings and "'long'" in warnings and "left-padded" in warnings
    assert "'promo' (known-future numeric) is not supported" in warnings
    too_long = rig.forecast({**request, "horizon": 97, "series": [series("x", 50, 97)]})
    assert too_long.status_code == 400 and "limit of 96" in too_long.json()["error"]


def test_chronos2_small_is_the_same_library_path(rig: FamilyRig) -> None:
    horizon = 10
    request = {
        "model": "chronos-2-small",
        "horizon": horizon,
        "quantiles": [0.1, 0.5, 0.9],
        "series": [series("a", 70, horizon, "mixed"), series("b", 30, horizon, gaps=True)],
    }
    assert_matches(forecast(rig, request), rig.baseline("chronos-2-small", request))


def test_flowstate_equals_the_library_per_series(rig: FamilyRig) -> None:
    horizon = 30  # beyond one decoder patch of a daily scale: the library's multi-patch path
    request = {
        "model": "flowstate-r1.1",
        "horizon": horizon,
        "quantiles": [0.1, 0.25, 0.5, 0.9],
        "series": [
            series("long", 300, horizon, gaps=True),
            series("mid", 120, horizon, "numeric"),
            series("mid-2", 120, horizon),
            series("short", 12, horizon),
        ],
        "options": {"batch_size": 2},
    }
    answer = forecast(rig, request)
    want = rig.baseline("flowstate-r1.1", {**request, "quantiles": [0.1, 0.2, 0.3, 0.5, 0.9]})
    for got, exp in zip(answer["forecasts"], want["forecasts"], strict=True):
        np.testing.assert_allclose(got["mean"], exp["mean"], atol=1e-4, rtol=1e-4)
        heads = {k: np.array(v) for k, v in exp["quantiles"].items()}
        np.testing.assert_allclose(got["quantiles"]["0.1"], heads["0.1"], atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(got["quantiles"]["0.25"], (heads["0.2"] + heads["0.3"]) / 2, atol=1e-4, rtol=1e-4)
    warnings = " | ".join(answer["warnings"])
    assert "0.25 interpolated" in warnings and "'promo' (known-future numeric) is not supported" in warnings

    no_freq = {**request, "series": [{"id": "x", "target": series("x", 50, horizon)["target"]}]}
    unscaled = forecast(rig, no_freq)
    assert "no time scale" in " | ".join(unscaled["warnings"])
    scaled = forecast(rig, {**no_freq, "options": {"scale_factor": 2.0}})
    assert not any("no time scale" in w for w in scaled.get("warnings", []))
    assert not np.allclose(unscaled["forecasts"][0]["mean"], scaled["forecasts"][0]["mean"])
    bad = rig.forecast({**no_freq, "options": {"scale_factor": -1}})
    assert bad.status_code == 400 and "options.scale_factor" in bad.json()["error"]


def test_bfloat16_and_bad_options(rig: FamilyRig) -> None:
    request = {"model": "chronos2", "horizon": 6, "quantiles": [0.5], "series": [series("s", 50, 6)]}
    bf16 = {**request, "options": {"dtype": "bfloat16"}}
    assert_matches(forecast(rig, bf16), rig.baseline("chronos2", bf16), atol=1e-2)
    for options, field in (
        ({"device": "tpu"}, "options.device"),
        ({"dtype": "int8"}, "options.dtype"),
        ({"batch_size": 0}, "options.batch_size"),
    ):
        response = rig.forecast({**request, "options": options})
        assert response.status_code == 400 and field in response.json()["error"]
    assert forecast(rig, request)["forecasts"][0]["mean"]  # back to float32 after a bad request


def test_examples_run_through_the_cli_in_the_family_runtime(rig: FamilyRig) -> None:
    for name in ("chronos2_request.json", "granite_ttm_request.json"):
        request = json.loads((EXAMPLES / name).read_text())
        done = rig.cli("run", request["model"], "--input", str(EXAMPLES / name), "--no-stream", "--json")
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert [f["id"] for f in answer["forecasts"]] == [s["id"] for s in request["series"]]
        assert all(len(f["mean"]) == request["horizon"] for f in answer["forecasts"])
    info = rig.cli("info", "--json")
    runners = [r for r in json.loads(info.stdout)["runners"] if r["family"] == "torch"]
    assert runners and Path(runners[0]["python"]) == rig.python
