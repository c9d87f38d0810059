"""``POST /api/evaluate`` through a real daemon: mock, seasonal-naive and auto-ets on synthetic data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

HORIZON, WINDOWS = 5, 2
LENGTHS = {"long": 40, "short": 25}  # cut from each end: cutoffs 30, 35 and 15, 20


def _values(n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (20 + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n)).round(3).tolist()


SERIES = [
    {
        "id": sid,
        "freq": "D",
        "timestamps": [str(d.date()) for d in pd.date_range("2024-01-01", periods=n)],
        "target": _values(n, seed),
    }
    for seed, (sid, n) in enumerate(LENGTHS.items())
]


def _body(models, **extra):
    body = {
        "models": models,
        "series": SERIES,
        "horizon": HORIZON,
        "windows": WINDOWS,
        "stream": False,
        "metrics": ["mae", "mase", "smape", "wql"],
        "quantiles": [0.1, 0.5, 0.9],
    }
    body.update(extra)
    return body


@pytest.fixture
def pulled(http):
    for model in ("mock", "seasonal-naive", "auto-ets"):
        assert http.post("/api/pull", json={"model": model, "stream": False}).status_code == 200
    return http


def _naive_mae(values, cutoff, season):
    history, actual = np.asarray(values[:cutoff]), np.asarray(values[cutoff : cutoff + HORIZON])
    forecast = np.asarray([history[len(history) - season + (k % season)] for k in range(HORIZON)])
    scale = np.mean(np.abs(history[7:] - history[:-7]))
    return np.mean(np.abs(actual - forecast)), np.mean(np.abs(actual - forecast)) / scale


def test_scores_equal_hand_computed_naive_forecasts(pulled):
    response = pulled.post("/api/evaluate", json=_body(["mock", "seasonal-naive", "auto-ets"]))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["done"] and result["horizon"] == HORIZON
    assert result["windows"] == [{"index": 0, "cutoff": "2024-01-30"}, {"index": 1, "cutoff": "2024-02-04"}]
    rows = {row["model"]: row for row in result["leaderboard"]}
    assert set(rows) == {"mock", "seasonal-naive", "auto-ets"}
    assert sorted(r["rank"] for r in rows.values()) == [1, 2, 3]
    assert [r["model"] for r in result["leaderboard"]] == sorted(rows, key=lambda m: rows[m]["mae"])
    # Expected per (series, window): mock repeats the last value (season 1), seasonal-naive the last week.
    pairs = [("long", 30), ("long", 35), ("short", 15), ("short", 20)]
    values = {s["id"]: s["target"] for s in SERIES}
    for model, season in (("mock", 1), ("seasonal-naive", 7)):
        maes, mases = zip(*(_naive_mae(values[sid], cut, season) for sid, cut in pairs), strict=True)
        assert rows[model]["mae"] == pytest.approx(np.mean(maes), rel=1e-9)
        assert rows[model]["mase"] == pytest.approx(np.mean(mases), rel=1e-9)
        assert rows[model]["series"] == 2 and rows[model]["error"] is None
    by_id = {s["id"]: s for s in result["series"]}
    short_mock = np.mean([_naive_mae(values["short"], cut, 1)[0] for cut in (15, 20)])
    assert by_id["short"]["scores"]["mock"]["mae"] == pytest.approx(short_mock)
    assert by_id["long"]["best"] in rows
    # mock's quantiles equal its mean: per step Σ_q pinball = |y−ŷ|·(0.1 + 0.9 + 0.5) whatever the sign.
    ys = [np.asarray(values[sid][cut : cut + HORIZON]) for sid, cut in pairs]
    errs = [np.abs(y - values[sid][cut - 1]) for y, (sid, cut) in zip(ys, pairs, strict=True)]
    expected = sum(e.sum() for e in errs) * 2 * 1.5 / 3 / sum(np.abs(y).sum() for y in ys)
    assert rows["mock"]["wql"] == pytest.approx(expected)


def test_streams_progress_lines_then_the_final_object(pulled):
    with pulled.stream("POST", "/api/evaluate", json=_body(["mock", "seasonal-naive"], stream=True)) as response:
        assert response.status_code == 200
        lines = [json.loads(line) for line in response.iter_lines() if line]
    progress = [line for line in lines if line.get("status") == "evaluating"]
    assert [(p["model"], p["window"], p["completed"], p["total"]) for p in progress] == [
        ("mock", 0, 1, 4),
        ("mock", 1, 2, 4),
        ("seasonal-naive", 0, 3, 4),
        ("seasonal-naive", 1, 4, 4),
    ]
    assert lines[-1]["done"] is True and len(lines[-1]["leaderboard"]) == 2


def test_a_failing_model_is_reported_in_its_row_and_the_others_go_on(pulled):
    result = pulled.post(
        "/api/evaluate", json=_body(["mock", "seasonal-naive"], options={"delay_seconds": "slow"})
    ).json()
    rows = {row["model"]: row for row in result["leaderboard"]}
    assert "delay_seconds must be a number" in rows["mock"]["error"] and rows["mock"]["rank"] is None
    assert rows["seasonal-naive"]["error"] is None and rows["seasonal-naive"]["rank"] == 1
    assert result["leaderboard"][-1]["model"] == "mock"


def test_return_forecasts_adds_each_window_forecast(pulled):
    result = pulled.post("/api/evaluate", json=_body(["mock"], return_forecasts=True)).json()
    first = result["forecasts"][0]
    assert {first["model"], first["window"], first["id"]} == {"mock", 0, "long"}
    assert first["actuals"] == SERIES[0]["target"][30:35] and first["mean"] == [SERIES[0]["target"][29]] * 5
    assert len(result["forecasts"]) == 4


def test_series_too_short_for_a_window_skip_it_with_a_warning(pulled):
    tiny = {"id": "tiny", "freq": "D", "target": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]}
    result = pulled.post("/api/evaluate", json=_body(["mock"], series=[*SERIES, tiny], metrics=["mae"])).json()
    assert "series 'tiny' (8 values) is too short for window 0; skipped there" in result["warnings"]
    tiny_scores = next(s for s in result["series"] if s["id"] == "tiny")["scores"]["mock"]
    assert tiny_scores["mae"] == pytest.approx(np.mean(np.abs(np.asarray([4.0, 5.0, 6.0, 7.0, 8.0]) - 3.0)))


def test_every_window_of_a_model_is_one_forecast_and_warnings_name_series_and_window(pulled):
    """All windows go to the runner in one batched request; its warnings keep the user's ids."""
    gappy = dict(SERIES[0], id="gappy")
    gappy["timestamps"] = gappy["timestamps"][:3] + gappy["timestamps"][4:]  # one day missing early on
    gappy["target"] = gappy["target"][:3] + gappy["target"][4:]
    result = pulled.post("/api/evaluate", json=_body(["mock"], series=[gappy], metrics=["mae"])).json()
    assert result["leaderboard"][0]["error"] is None and result["leaderboard"][0]["series"] == 1
    gap_warnings = [w for w in result["warnings"] if "missing" in w]
    assert gap_warnings and all("'gappy' (window " in w for w in gap_warnings), result["warnings"]
    assert {w.split("(window ")[1][0] for w in gap_warnings} == {"0", "1"}


BAD = [
    ({"metrics": ["mase", "accuracy"]}, 400, "metrics"),
    ({"windows": 0}, 400, "windows"),
    ({"step": 0}, 400, "step"),
    ({"horizon": 40}, 400, "no series is longer than horizon 40"),
    ({"models": ["mock", "mock"]}, 400, "model 'mock' is listed more than once"),
    ({"models": []}, 400, "models"),
    ({"models": ["mock", "chronos2"]}, 404, "chronos2"),
]


@pytest.mark.parametrize(("change", "status", "expected"), BAD)
def test_bad_input_names_the_problem(pulled, change, status, expected):
    for stream in (False, True):
        body = {**_body(["mock"]), **change, "stream": stream}
        response = pulled.post("/api/evaluate", json=body)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert expected in error and "\n" not in error
