"""Stats models through a real daemon equal statsforecast called directly on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import assert_matches, daily_body, forecast, reference, seasonal_series

from tollama.core.errors import InvalidRequest

QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("model", ["auto-ets", "auto-arima", "auto-theta", "seasonal-naive", "stats-ensemble"])
def test_each_model_equals_statsforecast_in_process(client, model):
    values = seasonal_series(count=3, length=84, seed=1)
    response = forecast(client, daily_body(model, values, horizon=10, quantiles=QUANTILES))
    assert response["model"] == model and "warnings" not in response
    assert_matches(response, reference(model, values, 10, QUANTILES, season_length=7))
    for series in response["forecasts"]:
        assert series["quantiles"]["0.5"] == series["mean"]  # q = 0.5 is the point forecast
        assert series["timestamps"][0] == "2024-03-25"  # the daemon's timestamps: 84 days after 2024-01-01


def test_many_series_in_one_request_keep_their_ids_and_order(client):
    values = seasonal_series(count=40, length=60, seed=2)
    body = daily_body("auto-theta", values, horizon=5, quantiles=[0.2, 0.8])
    body["series"].reverse()  # ids out of sorted order must still come back matched
    response = forecast(client, body)
    assert [f["id"] for f in response["forecasts"]] == [f"s{i}" for i in reversed(range(40))]
    assert_matches(response, reference("auto-theta", values, 5, [0.2, 0.8], season_length=7))


def test_series_of_different_frequencies_get_their_own_season_length(client):
    daily = seasonal_series(count=2, length=70, period=7, seed=3)
    monthly = seasonal_series(count=1, length=48, period=12, seed=4)
    body = daily_body("auto-ets", daily, horizon=6, quantiles=[0.1, 0.9])
    monthly_stamps = [f"{2020 + i // 12}-{i % 12 + 1:02d}-01" for i in range(48)]
    body["series"].append({"id": "m", "freq": "MS", "timestamps": monthly_stamps, "target": monthly[0].tolist()})
    response = forecast(client, body)
    by_id = {f["id"]: f for f in response["forecasts"]}
    assert_matches(
        {"forecasts": [by_id["s0"], by_id["s1"]]}, reference("auto-ets", daily, 6, [0.1, 0.9], season_length=7)
    )
    expected_monthly = reference("auto-ets", monthly, 6, [0.1, 0.9], season_length=12, freq="MS")["s0"]
    np.testing.assert_allclose(by_id["m"]["mean"], expected_monthly["mean"], rtol=1e-7)
    assert by_id["m"]["timestamps"][0] == "2024-01-01"


def test_season_length_override_is_used(client):
    values = seasonal_series(count=2, length=96, period=12, seed=5)
    body = daily_body("seasonal-naive", values, horizon=12, quantiles=[0.1, 0.9])
    overridden = forecast(client, {**body, "parameters": {"stats": {"season_length": 12}}})
    assert_matches(overridden, reference("seasonal-naive", values, 12, [0.1, 0.9], season_length=12))
    default = forecast(client, body)
    assert default["forecasts"][0]["mean"] != overridden["forecasts"][0]["mean"]


@pytest.mark.parametrize("bad", [0, -3, 2.5, "7", True, None])
def test_bad_season_length_is_a_400_naming_the_field(client, bad):
    body = daily_body("auto-ets", seasonal_series(1, 30), horizon=2, quantiles=[])
    if bad is None:
        body["parameters"] = {"stats": {"season": 7}}
        expected = "parameters.stats has unknown keys ['season']"
    else:
        body["parameters"] = {"stats": {"season_length": bad}}
        expected = "parameters.stats.season_length must be a positive integer"
    with pytest.raises(InvalidRequest, match=expected.replace("[", r"\[").replace("]", r"\]")):
        client.forecast(body)


def test_series_shorter_than_two_seasons_is_fitted_without_seasonality(client):
    values = seasonal_series(count=1, length=12, seed=6)  # daily: 12 < 2 x 7
    response = forecast(client, daily_body("auto-ets", values, horizon=3, quantiles=[0.1, 0.9]))
    assert response["warnings"] == [
        "series 's0': 12 values are fewer than 2 seasons of 7; fitted without seasonality (season_length 1)"
    ]
    assert_matches(response, reference("auto-ets", values, 3, [0.1, 0.9], season_length=1))


def test_series_too_short_for_the_model_is_a_400(client):
    body = daily_body("auto-ets", seasonal_series(1, 5), horizon=2, quantiles=[])
    with pytest.raises(InvalidRequest, match="series 's0': target has 5 values but model 'auto-ets' needs at least 7"):
        client.forecast(body)
    arima = forecast(client, {**body, "model": "auto-arima"})  # what the message suggests works
    assert len(arima["forecasts"][0]["mean"]) == 2


def test_gaps_are_filled_by_interpolation_with_one_warning_per_series(client):
    values = seasonal_series(count=2, length=56, seed=7)
    body = daily_body("auto-arima", values, horizon=4, quantiles=[0.1, 0.9])
    holes = {"s0": [0, 1, 20, 21, 22], "s1": [55]}  # leading, inner and trailing gaps
    for series in body["series"]:
        for index in holes[series["id"]]:
            series["target"][index] = None
    response = forecast(client, body)
    assert response["warnings"] == [
        "series 's0': 5 missing target values were filled by linear interpolation",
        "series 's1': 1 missing target values were filled by linear interpolation",
    ]
    filled = values.copy()
    filled[0, [0, 1]] = values[0, 2]
    filled[0, 20:23] = np.linspace(values[0, 19], values[0, 23], 5)[1:4]
    filled[1, 55] = values[1, 54]
    assert_matches(response, reference("auto-arima", filled, 4, [0.1, 0.9], season_length=7))


def test_series_without_timestamps_use_an_integer_index(client):
    values = seasonal_series(count=2, length=50, seed=8)
    body = {
        "model": "auto-ets",
        "horizon": 3,
        "series": [{"id": f"s{i}", "target": row.tolist()} for i, row in enumerate(values)],
    }
    response = forecast(client, body)
    assert "timestamps" not in response["forecasts"][0]
    assert_matches(response, reference("auto-ets", values, 3, [], season_length=1))  # no freq: no season
