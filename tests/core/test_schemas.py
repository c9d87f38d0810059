"""Structural validation of the forecast contract: every bad input names its series and field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tollama.core.schemas import ForecastRequest


def _request(**overrides):
    series = {
        "id": "s1",
        "freq": "D",
        "timestamps": ["2025-01-01", "2025-01-02", "2025-01-03"],
        "target": [1.0, 2.0, 3.0],
    }
    series.update(overrides.pop("series_fields", {}))
    body = {"model": "mock", "horizon": 2, "series": [series]}
    body.update(overrides)
    return body


def _error(body) -> str:
    with pytest.raises(ValidationError) as info:
        ForecastRequest.model_validate(body)
    return str(info.value)


def test_valid_request_keeps_nulls_and_sorts_quantiles():
    req = ForecastRequest.model_validate(_request(quantiles=[0.9, 0.1], series_fields={"target": [1.0, None, 3.0]}))
    assert req.quantiles == [0.1, 0.9]
    assert req.series[0].target == [1.0, None, 3.0]
    assert req.series[0].has_gaps


def test_name_is_an_alias_of_model():
    body = _request()
    body["name"] = body.pop("model")
    assert ForecastRequest.model_validate(body).model == "mock"


def test_unknown_fields_are_ignored():
    assert ForecastRequest.model_validate(_request(future_field=1)).horizon == 2


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"series_fields": {"target": []}}, "series 's1': target is empty"),
        ({"series_fields": {"target": [None, None, None]}}, "target has no observed values"),
        ({"series_fields": {"target": [1.0, float("inf"), 2.0]}}, "target[1] is not finite"),
        ({"series_fields": {"timestamps": ["2025-01-01"]}}, "timestamps has 1 values but target has 3"),
        ({"horizon": 0}, "greater than or equal to 1"),
        ({"quantiles": [0.5, 1.0]}, "quantile 1.0 is outside (0, 1)"),
        ({"quantiles": [0.0]}, "quantile 0.0 is outside (0, 1)"),
        ({"quantiles": [0.5, 0.5]}, "duplicates"),
        ({"series_fields": {"past_covariates": {"p": [1, 2]}}}, "past_covariates['p'] has 2 values but target has 3"),
        (
            {"series_fields": {"past_covariates": {"p": [1, 2, 3]}, "future_covariates": {"p": [1]}}},
            "future_covariates['p'] has 1 values but horizon is 2",
        ),
        ({"series_fields": {"future_covariates": {"f": [1, 2]}}}, "has no past_covariates['f']"),
        ({"series_fields": {"past_covariates": {"p": [1, "a", 3]}}}, "mixes numbers and strings"),
        ({"series_fields": {"past_covariates": {"p": [1, None, 3]}}}, "contains None"),
        (
            {"series_fields": {"past_covariates": {"p": ["a", "b", "c"]}, "future_covariates": {"p": [1, 2]}}},
            "numeric in one of past/future and string in the other",
        ),
        ({"series_fields": {"actuals": [1.0]}}, "actuals has 1 values but horizon is 2"),
    ],
)
def test_bad_inputs_are_rejected_with_a_message_naming_the_field(overrides, expected):
    assert expected in _error(_request(**overrides))


def test_duplicate_series_ids_are_rejected():
    body = _request()
    body["series"].append(dict(body["series"][0]))
    assert "series id 's1' appears more than once" in _error(body)


def test_empty_series_list_is_rejected():
    assert "series" in _error(_request(series=[]))


def test_categorical_covariates_are_kept_as_strings():
    req = ForecastRequest.model_validate(
        _request(series_fields={"past_covariates": {"c": ["a", "b", "c"]}, "future_covariates": {"c": ["d", "e"]}})
    )
    assert req.series[0].future_covariates["c"] == ["d", "e"]
