"""``auto`` models through a real daemon: per series, the candidate the test itself finds best.

The synthetic series are built so that different candidates win: a level shift that ends flat
(the last value, ``mock``, is exact), a clean trend (``auto-ets``), a noisy pure season. The
test backtests each candidate itself (the same windows and MASE as the spec) and checks the
choice, the scores in ``selection`` and that each series is served by its candidate's forecast.
"""

from __future__ import annotations

import math

import httpx
import numpy as np
import pytest

CANDIDATES = ["seasonal-naive", "mock", "auto-ets"]
HORIZON, WINDOWS, SEASON = 6, 2, 12


def monthly(sid: str, values: np.ndarray) -> dict:
    stamps = [f"{2000 + k // 12}-{k % 12 + 1:02d}-01" for k in range(len(values))]
    return {"id": sid, "freq": "MS", "timestamps": stamps, "target": np.round(values, 4).tolist()}


def synthetic() -> list[dict]:
    rng = np.random.default_rng(7)
    t = np.arange(72)
    pattern = rng.uniform(0, 40, SEASON)
    season = 100 + pattern[t % SEASON] + rng.normal(0, 0.3, t.size)
    trend = 5 + 3.0 * t
    shift = np.where(t < 50, 20 + rng.normal(0, 4, t.size), 80.0)
    return [monthly("season", season), monthly("trend", trend), monthly("shift", shift)]


@pytest.fixture
def installed(http: httpx.Client) -> httpx.Client:
    for model in CANDIDATES:
        assert http.post("/api/pull", json={"model": model, "stream": False}).status_code == 200
    body = {"model": "pick", "stream": False, "auto": {"candidates": CANDIDATES, "windows": WINDOWS}}
    assert http.post("/api/create", json=body).status_code == 200
    return http


def forecast(http: httpx.Client, model: str, series: list[dict], horizon: int = HORIZON) -> dict:
    body = {"model": model, "horizon": horizon, "series": series, "stream": False}
    response = http.post("/api/forecast", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def backtest_mase(http: httpx.Client, model: str, item: dict) -> float:
    """The mean over windows of MASE, each window cut and scaled as the spec says."""
    y = np.asarray(item["target"])
    scores = []
    for index in range(WINDOWS):
        cutoff = len(y) - HORIZON - (WINDOWS - 1 - index) * HORIZON
        cut = {**item, "target": item["target"][:cutoff], "timestamps": item["timestamps"][:cutoff]}
        mean = np.asarray(forecast(http, model, [cut])["forecasts"][0]["mean"])
        history = y[:cutoff]
        scale = np.mean(np.abs(history[SEASON:] - history[:-SEASON]))
        scores.append(np.mean(np.abs(y[cutoff : cutoff + HORIZON] - mean)) / scale)
    return float(np.mean(scores))


def test_auto_serves_each_series_with_its_best_candidate(installed: httpx.Client) -> None:
    series = synthetic()
    answer = forecast(installed, "pick", series)
    expected = {}
    for item in series:
        scores = {c: backtest_mase(installed, c, item) for c in CANDIDATES}
        best = min(CANDIDATES, key=lambda c: (scores[c], CANDIDATES.index(c)))
        expected[item["id"]] = best
        for c in CANDIDATES:
            assert answer["selection"][item["id"]][c] == pytest.approx(scores[c], rel=1e-4, abs=1e-6)
    assert len(set(expected.values())) >= 2, expected  # the data really make different candidates win
    assert {f["id"]: f["model"] for f in answer["forecasts"]} == expected
    for item, served in zip(series, answer["forecasts"], strict=True):
        own = forecast(installed, expected[item["id"]], [item])["forecasts"][0]
        assert served["mean"] == pytest.approx(own["mean"]) and served["timestamps"] == own["timestamps"]


def test_a_series_too_short_to_hold_out_goes_to_the_first_candidate(installed: httpx.Client) -> None:
    short = monthly("short", np.array([3.0, 4.0, 5.0, 6.0]))
    answer = forecast(installed, "pick", [short, synthetic()[1]])
    served = {f["id"]: f["model"] for f in answer["forecasts"]}
    assert served["short"] == CANDIDATES[0]
    assert any("'short'" in w and f"first candidate '{CANDIDATES[0]}'" in w for w in answer["warnings"])
    assert all(v is None for v in answer["selection"]["short"].values())
    assert not math.isnan(answer["selection"]["trend"]["auto-ets"])


def test_auto_models_evaluate_like_any_model(installed: httpx.Client) -> None:
    body = {"models": ["pick", "mock"], "series": synthetic(), "horizon": HORIZON, "stream": False}
    response = installed.post("/api/evaluate", json=body)
    assert response.status_code == 200, response.text
    rows = {row["model"]: row for row in response.json()["leaderboard"]}
    assert rows["pick"]["error"] is None and rows["pick"]["mase"] is not None
