"""The stats adapter in this process: quantile shape, the level mapping, season lengths, gap filling."""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import daily_body, seasonal_series

from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.registry import get_spec
from tollama.core.schemas import ForecastParameters, ForecastRequest, ModelManifest
from tollama.runners.stats.adapter import StatsAdapter
from tollama.runners.stats.models import column_suffix, interval_level
from tollama.runners.stats.season import season_length_for, season_override

LEVELS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]


def _adapter(model: str) -> StatsAdapter:
    adapter = StatsAdapter()
    adapter.load(ModelManifest(**get_spec(model).model_dump(), pulled_at="2025-01-01T00:00:00Z"))
    return adapter


@pytest.mark.slow
@pytest.mark.parametrize("model", ["auto-ets", "auto-arima", "auto-theta", "seasonal-naive", "stats-ensemble"])
def test_quantiles_never_decrease_with_the_level(model):
    request = ForecastRequest.model_validate(daily_body(model, seasonal_series(3, 70, seed=9), 8, LEVELS))
    result = _adapter(model).forecast(model, request)  # the runner's own answer, before the daemon sorts
    for series in result.forecasts:
        matrix = np.array([series.quantiles[repr(q)] for q in LEVELS])
        assert np.all(np.diff(matrix, axis=0) >= -1e-9), series.id
        assert series.quantiles["0.5"] == series.mean


def test_quantile_level_mapping():
    assert interval_level(0.1) == pytest.approx(80) and interval_level(0.9) == pytest.approx(80)
    assert column_suffix(0.1) == f"-lo-{interval_level(0.1)}"
    assert column_suffix(0.975) == f"-hi-{interval_level(0.975)}"
    assert column_suffix(0.5) == ""


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("H", 24), ("h", 24), ("D", 7), ("W", 52), ("W-SUN", 52), ("W-MON", 52), ("M", 12), ("ME", 12),
        ("MS", 12), ("Q", 4), ("QE", 4), ("QS", 4), ("QS-JAN", 4), ("B", 1), ("2h", 1), ("15min", 1),
        ("Y", 1), (None, 1),
    ],
)  # fmt: skip
def test_season_length_from_freq(freq, season):
    assert season_length_for(freq) == season


def test_season_length_override_validation():
    assert season_override(ForecastParameters.model_validate({"stats": {"season_length": 12}})) == 12
    assert season_override(ForecastParameters.model_validate({})) is None
    for bad in (0, -1, 1.5, "12", False):
        with pytest.raises(InvalidRequest, match="must be a positive integer"):
            season_override(ForecastParameters.model_validate({"stats": {"season_length": bad}}))
    with pytest.raises(InvalidRequest, match="must be an object"):
        season_override(ForecastParameters.model_validate({"stats": 7}))


def test_unknown_and_unloaded_models_are_refused():
    adapter = StatsAdapter()
    with pytest.raises(ModelNotFound, match="not a stats model"):
        adapter.load(ModelManifest(name="chronos2", family="stats", pulled_at="2025-01-01T00:00:00Z"))
    request = ForecastRequest.model_validate(daily_body("auto-ets", seasonal_series(1, 30), 2, []))
    with pytest.raises(ModelNotFound, match="not loaded"):
        adapter.forecast("auto-ets", request)
