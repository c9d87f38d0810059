"""Requested quantile levels from fixed 0.1 … 0.9 heads: native, interpolated, or the nearest head."""

from __future__ import annotations

import numpy as np

from tollama.runners.quantile_heads import pick_levels, plan_levels

DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
HEADS = np.array([[q * 10, q * 100] for q in DECILES])  # (levels, horizon 2)


def test_native_levels_are_the_heads_and_others_are_interpolated_or_clamped() -> None:
    out = pick_levels(HEADS, DECILES, [0.05, 0.1, 0.25, 0.5, 0.9, 0.99])
    assert out["0.1"] == [1.0, 10.0] and out["0.5"] == [5.0, 50.0] and out["0.9"] == [9.0, 90.0]
    np.testing.assert_allclose(out["0.25"], [2.5, 25.0])
    assert out["0.05"] == out["0.1"] and out["0.99"] == out["0.9"]


def test_heads_given_in_any_order_are_matched_by_level() -> None:
    order = [8, 0, 4, 2, 6, 1, 3, 5, 7]
    out = pick_levels(HEADS[order], [DECILES[i] for i in order], [0.3, 0.45])
    assert out["0.3"] == [3.0, 30.0]
    np.testing.assert_allclose(out["0.45"], [4.5, 45.0])


def test_warnings_name_the_levels_the_model_does_not_predict() -> None:
    assert plan_levels(DECILES, [0.1, 0.5, 0.9], "m") == []
    inside, outside = plan_levels(DECILES, [0.05, 0.25, 0.5, 0.975], "m")
    assert "0.25 interpolated" in inside and "0.05" not in inside
    assert "0.05, 0.975 outside" in outside and "(0.1 or 0.9)" in outside
