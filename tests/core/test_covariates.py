from __future__ import annotations

import pytest

from tollama.core.covariates import fit_covariates
from tollama.core.errors import InvalidRequest
from tollama.core.schemas import Capabilities, ForecastRequest


def _request(mode="best_effort"):
    return ForecastRequest.model_validate(
        {
            "horizon": 2,
            "parameters": {"covariates_mode": mode},
            "series": [
                {
                    "id": "s1",
                    "target": [1.0, 2.0, 3.0],
                    "past_covariates": {"temp": [1, 2, 3], "promo": [0, 1, 0], "dow": ["a", "b", "c"]},
                    "future_covariates": {"promo": [1, 1], "dow": ["d", "e"]},
                }
            ],
        }
    )


def test_best_effort_drops_only_what_the_model_cannot_take():
    caps = Capabilities(future_covariates_numeric=True)
    fitted, warnings = fit_covariates(_request(), caps, "m")
    series = fitted.series[0]
    assert set(series.past_covariates) == {"promo"}
    assert set(series.future_covariates) == {"promo"}
    assert warnings == [
        "covariate 'temp' (past-only numeric) is not supported by model 'm' and was ignored",
        "covariate 'dow' (known-future categorical) is not supported by model 'm' and was ignored",
    ]


def test_strict_mode_refuses_and_names_the_covariates():
    with pytest.raises(InvalidRequest, match="'temp' \\(past-only numeric\\)"):
        fit_covariates(_request("strict"), Capabilities(future_covariates_numeric=True), "m")


def test_fully_capable_model_gets_the_request_unchanged():
    caps = Capabilities(
        past_covariates_numeric=True, future_covariates_numeric=True, future_covariates_categorical=True
    )
    request = _request("strict")
    fitted, warnings = fit_covariates(request, caps, "m")
    assert fitted is request and warnings == []
