"""Each bad forecast input answers 400 with one message naming the series and field."""

from __future__ import annotations

import pytest

GOOD_SERIES = {"id": "s1", "freq": "D", "timestamps": ["2025-01-01", "2025-01-02"], "target": [1.0, 2.0]}


def _body(series_overrides=None, **overrides):
    body = {"model": "mock", "horizon": 2, "stream": False, "series": [{**GOOD_SERIES, **(series_overrides or {})}]}
    body.update(overrides)
    return body


CASES = [
    (_body({"target": []}), "series 's1': target is empty"),
    (_body({"target": [1.0, "x"]}), "target"),
    (_body({"timestamps": ["2025-01-01"]}), "timestamps has 1 values but target has 2"),
    (_body({"freq": "fortnightly"}), "series 's1': freq 'fortnightly' is not a pandas frequency"),
    (_body({"timestamps": ["2025-01-01", "not a date"]}), "series 's1': timestamps[1] 'not a date' cannot be parsed"),
    (_body(horizon=0), "horizon"),
    (_body(quantiles=[0.5, 1.5]), "quantile 1.5 is outside (0, 1)"),
    (_body(quantiles=[0.2, 0.2]), "duplicates"),
    (_body(series=[GOOD_SERIES, GOOD_SERIES]), "series id 's1' appears more than once"),
    (_body({"past_covariates": {"p": [1, "a"]}}), "past_covariates['p'] mixes numbers and strings"),
    (_body({"past_covariates": {"p": [1]}}), "past_covariates['p'] has 1 values but target has 2"),
    (_body({"future_covariates": {"f": [1, 2]}}), "future_covariates['f'] has no past_covariates['f']"),
    (_body({"actuals": [1.0]}), "actuals has 1 values but horizon is 2"),
    (_body(keep_alive="soon"), "keep_alive 'soon' is not a duration"),
    (_body(horizon=10_000, model="mock"), None),  # mock has no horizon limit: accepted
]


@pytest.fixture
def pulled(http):
    http.post("/api/pull", json={"model": "mock", "stream": False})
    return http


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_bad_input_is_a_400_with_a_clear_message(pulled, body, expected):
    routes = ("/api/forecast",) if "keep_alive" in body else ("/api/forecast", "/v1/forecast")
    for route in routes:
        response = pulled.post(route, json=body)
        if expected is None:
            assert response.status_code == 200
            assert "quantiles" not in response.json()["forecasts"][0]  # nulls are left out, as in the spec
            continue
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert expected in error and "\n" not in error and "Traceback" not in error


def test_not_json_and_wrong_shapes_are_400(pulled):
    not_json = pulled.post("/api/forecast", content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]
    missing = pulled.post("/api/forecast", json={"model": "mock", "series": [GOOD_SERIES]})
    assert missing.status_code == 400 and missing.json()["error"] == "missing required field 'horizon'"


def test_strict_covariates_and_horizon_limits_use_the_registry(pulled):
    body = _body({"past_covariates": {"p": [1.0, 2.0]}})
    best_effort = pulled.post("/api/forecast", json=body).json()
    assert best_effort["warnings"] == [
        "covariate 'p' (past-only numeric) is not supported by model 'mock' and was ignored"
    ]
    strict = pulled.post("/api/forecast", json={**body, "parameters": {"covariates_mode": "strict"}})
    assert strict.status_code == 400 and "does not support covariates 'p'" in strict.json()["error"]
