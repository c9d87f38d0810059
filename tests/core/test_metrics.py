from __future__ import annotations

import pytest

from tollama.core.metrics import compute_metrics
from tollama.core.schemas import SeriesForecast, SeriesInput


def _pair(target, actuals, mean, quantiles=None, sid="s1"):
    return (SeriesInput(id=sid, target=target, actuals=actuals), SeriesForecast(id=sid, mean=mean, quantiles=quantiles))


def test_spec_example_figures():
    s, f = _pair([1.0, 3.0], [2.0, 4.0], [3.0, 3.0])
    metrics, warnings = compute_metrics(["mape", "mase"], [s], [f], [])
    assert metrics.aggregate == {"mape": 37.5, "mase": 0.5}
    assert metrics.series[0].values == {"mape": 37.5, "mase": 0.5}
    assert warnings == []


def test_extra_metrics_have_their_usual_definitions():
    s, f = _pair([1.0, 3.0], [2.0, 4.0], [3.0, 3.0], {"0.5": [3.0, 3.0]})
    metrics, _ = compute_metrics(["smape", "mae", "rmse", "wql"], [s], [f], [0.5])
    values = metrics.series[0].values
    assert values["mae"] == pytest.approx(1.0)
    assert values["rmse"] == pytest.approx(1.0)
    assert values["smape"] == pytest.approx((2 * 1 / 5 + 2 * 1 / 7) / 2 * 100)
    # WQL at the median: 2 * sum(pinball) / sum(|y|) = 2 * (0.5 + 0.5) / 6
    assert values["wql"] == pytest.approx(2 * 1.0 / 6)


def test_undefined_cases_are_skipped_with_warnings():
    zeros = _pair([1.0, 1.0, 1.0], [0.0, 0.0], [1.0, 1.0], sid="zeros")
    short = _pair([5.0], [1.0, 2.0], [1.0, 1.0], sid="short")
    metrics, warnings = compute_metrics(["mape", "mase"], [zeros[0], short[0]], [zeros[1], short[1]], [])
    by_id = {m.id: m.values for m in metrics.series}
    assert "mape" not in by_id["zeros"] and "mase" not in by_id["zeros"]  # flat history: naive error 0
    assert "mase" not in by_id["short"] and by_id["short"]["mape"] == pytest.approx(25.0)
    assert metrics.aggregate == {"mape": pytest.approx(25.0)}
    assert any("mape skipped for series 'zeros': all actual values are 0" in w for w in warnings)
    assert any("mase skipped for series 'short': history length 1 <= mase_seasonality 1" in w for w in warnings)
    assert any("mase skipped for series 'zeros': the naive in-sample error is 0" in w for w in warnings)


def test_series_without_actuals_are_left_out():
    with_actuals = _pair([1.0, 3.0], [2.0, 4.0], [3.0, 3.0])
    without = (SeriesInput(id="s2", target=[1.0]), SeriesForecast(id="s2", mean=[1.0, 1.0]))
    metrics, _ = compute_metrics(["mae"], [with_actuals[0], without[0]], [with_actuals[1], without[1]], [])
    assert [m.id for m in metrics.series] == ["s1"]
