"""Backtest metrics against independent computations (numpy by hand, utilsforecast's losses)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from utilsforecast import losses

from tollama.core.scores import aggregate, score_pair, seasonal_scale

RNG = np.random.default_rng(7)
LEVELS = [0.1, 0.5, 0.9]


def _case(h=6, n=30):
    history = RNG.normal(10, 2, n)
    y = RNG.normal(10, 2, h)
    mean = y + RNG.normal(0, 1, h)
    quantiles = {0.1: mean - 1.5, 0.5: mean, 0.9: mean + 1.5}
    return history, y, mean, quantiles


def test_point_metrics_match_hand_computations():
    history, y, mean, quantiles = _case()
    scale = seasonal_scale(history.tolist(), 4)
    assert scale == pytest.approx(np.mean(np.abs(history[4:] - history[:-4])))
    metrics = ["mae", "rmse", "mase", "smape", "mape", "coverage", "wql"]
    got = score_pair(y, mean, quantiles, metrics, scale).values
    assert got["mae"] == pytest.approx(np.mean(np.abs(y - mean)))
    assert got["rmse"] == pytest.approx(np.sqrt(np.mean((y - mean) ** 2)))
    assert got["mase"] == pytest.approx(np.mean(np.abs(y - mean)) / scale)
    assert got["smape"] == pytest.approx(np.mean(200 * np.abs(y - mean) / (np.abs(y) + np.abs(mean))))
    assert got["mape"] == pytest.approx(100 * np.mean(np.abs(y - mean) / np.abs(y)))
    assert got["coverage"] == pytest.approx(np.mean((y >= mean - 1.5) & (y <= mean + 1.5)))
    pinball = sum(2 * np.sum(np.maximum(q * (y - quantiles[q]), (q - 1) * (y - quantiles[q]))) for q in LEVELS)
    assert got["wql"] == pytest.approx(pinball / len(LEVELS) / np.sum(np.abs(y)))


def test_matches_utilsforecast_where_definitions_agree():
    history, y, mean, quantiles = _case()
    frame = pd.DataFrame({"unique_id": "a", "ds": range(6), "y": y, "m": mean})
    train = pd.DataFrame({"unique_id": "a", "ds": range(-30, 0), "y": history})
    got = score_pair(y, mean, quantiles, ["mae", "rmse", "mase", "smape"], seasonal_scale(history.tolist(), 4)).values
    assert got["mae"] == pytest.approx(losses.mae(frame, ["m"])["m"][0])
    assert got["rmse"] == pytest.approx(losses.rmse(frame, ["m"])["m"][0])
    assert got["smape"] == pytest.approx(200 * losses.smape(frame, ["m"])["m"][0])
    assert got["mase"] == pytest.approx(losses.mase(frame, ["m"], seasonality=4, train_df=train)["m"][0])


def test_wql_is_pooled_and_the_others_are_means_over_pairs():
    pairs = []
    loss_sum, norm_sum, maes = 0.0, 0.0, []
    for scale_factor in (1.0, 100.0):  # very different scales: pooling differs from averaging
        history, y, mean, quantiles = _case()
        y, mean = y * scale_factor, mean * scale_factor
        quantiles = {q: v * scale_factor for q, v in quantiles.items()}
        pair = score_pair(y, mean, quantiles, ["wql", "mae"], seasonal_scale(history.tolist(), 1))
        pairs.append(pair)
        loss_sum += sum(2 * np.sum(np.maximum(q * (y - quantiles[q]), (q - 1) * (y - quantiles[q]))) for q in LEVELS)
        norm_sum += np.sum(np.abs(y))
        maes.append(np.mean(np.abs(y - mean)))
    out = aggregate(pairs, ["wql", "mae"])
    assert out["wql"] == pytest.approx(loss_sum / len(LEVELS) / norm_sum)
    assert out["wql"] != pytest.approx(np.mean([p.values["wql"] for p in pairs]))
    assert out["mae"] == pytest.approx(np.mean(maes))


def test_undefined_cases_are_nan_and_left_out_of_means():
    assert math.isnan(seasonal_scale([1.0, 2.0], 4))  # shorter than a season
    assert math.isnan(seasonal_scale([3.0] * 10, 1))  # naive error 0
    flat = score_pair([0.0, 0.0], [1.0, 1.0], None, ["mase", "mape", "wql", "coverage"], math.nan).values
    assert all(math.isnan(flat[m]) for m in ("mase", "mape", "wql", "coverage"))
    good = score_pair([2.0, 2.0], [1.0, 1.0], None, ["mape"], math.nan)
    bad = score_pair([0.0, 0.0], [1.0, 1.0], None, ["mape"], math.nan)
    assert aggregate([good, bad], ["mape"])["mape"] == pytest.approx(50.0)


def test_seasonal_scale_ignores_gaps():
    assert seasonal_scale([1.0, None, 3.0, 6.0], 1) == pytest.approx(3.0)
