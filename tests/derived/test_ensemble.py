"""Ensembles through a real daemon: each answer is the median (mean) of its members' own answers."""

from __future__ import annotations

import json
import math

import httpx
import numpy as np
import pytest

LEVELS = [0.1, 0.5, 0.9]
STATS = ["auto-ets", "auto-theta", "seasonal-naive"]


def seasonal_series(sid: str, n: int = 48, phase: float = 0.0) -> dict:
    t = np.arange(n)
    target = 10 + 0.2 * t + 3 * np.sin(2 * math.pi * t / 12 + phase) + np.cos(t * 1.7)
    return {
        "id": sid,
        "freq": "MS",
        "timestamps": [f"{2000 + k // 12}-{k % 12 + 1:02d}-01" for k in range(n)],
        "target": target.round(3).tolist(),
    }


SERIES = [seasonal_series("a"), seasonal_series("b", 40, 1.0)]


@pytest.fixture
def stats(http: httpx.Client) -> httpx.Client:
    for model in [*STATS, "mock"]:
        assert http.post("/api/pull", json={"model": model, "stream": False}).status_code == 200
    return http


def create(http: httpx.Client, name: str, **definition) -> httpx.Response:
    return http.post("/api/create", json={"model": name, "stream": False, **definition})


def forecast(http: httpx.Client, model: str, **extra) -> dict:
    body = {"model": model, "horizon": 6, "quantiles": LEVELS, "series": SERIES, "stream": False, **extra}
    response = http.post("/api/forecast", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("method", ["median", "mean"])
def test_ensemble_is_the_median_or_mean_of_its_members(stats: httpx.Client, method: str) -> None:
    assert create(stats, "ens", ensemble={"members": STATS, "method": method}).json() == {
        "status": "success",
        "done": True,
    }
    answer = forecast(stats, "ens")
    members = [forecast(stats, m) for m in STATS]
    reduce = np.median if method == "median" else np.mean
    assert answer["model"] == "ens"
    for i, item in enumerate(answer["forecasts"]):
        assert item["id"] == SERIES[i]["id"] and item["timestamps"] == members[0]["forecasts"][i]["timestamps"]
        expected_mean = reduce([m["forecasts"][i]["mean"] for m in members], axis=0)
        np.testing.assert_allclose(item["mean"], expected_mean, rtol=1e-9)
        cube = [[m["forecasts"][i]["quantiles"][str(q)] for q in LEVELS] for m in members]
        expected_q = np.sort(reduce(cube, axis=0), axis=0)
        for k, q in enumerate(LEVELS):
            np.testing.assert_allclose(item["quantiles"][str(q)], expected_q[k], rtol=1e-9)


def test_metrics_score_the_ensembles_own_answer(stats: httpx.Client) -> None:
    create(stats, "ens", ensemble={"members": STATS, "method": "mean"})
    series = [{**s, "actuals": [1.0] * 6} for s in SERIES]
    metrics = {"metrics": {"names": ["mae"]}}
    answer = forecast(stats, "ens", series=series, parameters=metrics)
    mae = [np.mean(np.abs(np.asarray(f["mean"]) - 1.0)) for f in answer["forecasts"]]
    assert answer["metrics"]["aggregate"]["mae"] == pytest.approx(np.mean(mae))


def test_strict_covariates_fail_naming_the_member(stats: httpx.Client) -> None:
    create(stats, "ens", ensemble={"members": ["auto-ets", "seasonal-naive"]})
    series = [{**SERIES[0], "past_covariates": {"p": list(range(48))}}]
    body = {
        "model": "ens",
        "horizon": 3,
        "series": series,
        "stream": False,
        "parameters": {"covariates_mode": "strict"},
    }
    response = stats.post("/api/forecast", json=body)
    assert response.status_code == 400
    assert "member 'auto-ets'" in response.json()["error"] or "member 'seasonal-naive'" in response.json()["error"]
    body["parameters"] = {}
    relaxed = stats.post("/api/forecast", json=body)
    assert relaxed.status_code == 200 and any(w.startswith("auto-ets: ") for w in relaxed.json()["warnings"])


def test_a_streamed_ensemble_names_each_member_at_work(stats: httpx.Client) -> None:
    create(stats, "ens", ensemble={"members": STATS})
    body = {"model": "ens", "horizon": 6, "series": SERIES, "stream": True}
    with stats.stream("POST", "/api/forecast", json=body) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
    statuses = [line["status"] for line in lines if "status" in line]
    assert statuses[0] == f"forecasting with {', '.join(STATS)}"
    assert {f"{m}: forecasting" for m in STATS} <= set(statuses)
    starts = [statuses.index(f"{m}: forecasting") for m in STATS]
    assert starts == sorted(starts)  # on the CPU the members work in turn, in their order
    assert all(statuses.index(f"{m}: loading model {m}") < starts[0] for m in STATS)  # all load first
    assert lines[-1]["done"] is True and len(lines[-1]["forecasts"]) == len(SERIES)
