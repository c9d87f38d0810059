"""auto-arima's exogenous regressors, and what the other stats models refuse or drop."""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import assert_matches, daily_body, forecast, reference, seasonal_series

from tollama.core.errors import InvalidRequest

pytestmark = pytest.mark.slow
HORIZON = 7


def _promo_request(model: str, **parameters):
    """Two daily series whose level jumps by 25 on promotion days; promotions known ahead."""
    rng = np.random.default_rng(11)
    base = seasonal_series(count=2, length=90, seed=10)
    promo = (rng.uniform(size=(2, 90 + HORIZON)) < 0.3).astype(float)
    values = base + 25 * promo[:, :90]
    body = daily_body(model, values, horizon=HORIZON, quantiles=[0.1, 0.9], parameters=parameters)
    for series, row in zip(body["series"], promo, strict=True):
        series["past_covariates"] = {"promo": row[:90].tolist()}
        series["future_covariates"] = {"promo": row[90:].tolist()}
    return body, values, promo


def test_known_future_covariate_drives_auto_arima_like_x_df_in_process(client):
    body, values, promo = _promo_request("auto-arima")
    with_promo = forecast(client, body)
    assert "warnings" not in with_promo
    assert_matches(with_promo, reference("auto-arima", values, HORIZON, [0.1, 0.9], 7, exog={"promo": promo}))
    for series in body["series"]:
        series.pop("past_covariates")
        series.pop("future_covariates")
    without = forecast(client, body)
    gap = np.abs(np.array(with_promo["forecasts"][0]["mean"]) - np.array(without["forecasts"][0]["mean"]))
    assert gap.max() > 5  # the regressor moves the forecast on promotion days


def test_auto_arima_drops_a_past_only_covariate_with_a_warning(client):
    body, values, _ = _promo_request("auto-arima")
    for series in body["series"]:
        series.pop("future_covariates")  # now past-only: no future values to regress on
    response = forecast(client, body)
    assert response["warnings"] == [
        "covariate 'promo' (past-only numeric) is not supported by model 'auto-arima' and was ignored"
    ]
    assert_matches(response, reference("auto-arima", values, HORIZON, [0.1, 0.9], 7))


@pytest.mark.parametrize("model", ["auto-ets", "auto-theta", "seasonal-naive", "stats-ensemble"])
def test_strict_mode_refuses_covariates_the_model_cannot_take(client, model):
    body, _, _ = _promo_request(model, covariates_mode="strict")
    with pytest.raises(InvalidRequest, match=f"model '{model}' does not support covariates 'promo' \\(known-future"):
        client.forecast(body)


def test_strict_mode_refuses_categorical_covariates_for_auto_arima(client):
    body, _, _ = _promo_request("auto-arima", covariates_mode="strict")
    for series in body["series"]:
        series["past_covariates"]["store"] = ["a"] * 90
        series["future_covariates"]["store"] = ["a"] * HORIZON
    with pytest.raises(InvalidRequest, match="does not support covariates 'store' \\(known-future categorical\\)"):
        client.forecast(body)


def test_best_effort_drops_covariates_for_models_without_them(client):
    body, values, _ = _promo_request("auto-theta")
    response = forecast(client, body)
    assert response["warnings"] == [
        "covariate 'promo' (known-future numeric) is not supported by model 'auto-theta' and was ignored"
    ]
    assert_matches(response, reference("auto-theta", values, HORIZON, [0.1, 0.9], 7))
