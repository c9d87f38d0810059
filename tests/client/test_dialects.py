"""The Chronos-2 SageMaker dialect: conversion both ways, and through the client and daemon."""

from __future__ import annotations

import pytest

from tollama.client.dialects import response_to_sagemaker, sagemaker_to_request
from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastRequest

# The covariate example of the Chronos-2 SageMaker notebook, with ids and starts added.
PAYLOAD = {
    "inputs": [
        {
            "target": [1.0, 2.0, 3.0, 2.0, 0.5, 2.0, 3.0, 2.0, 1.0],
            "item_id": "product_A",
            "start": "2024-01-01T01:00:00",
            "past_covariates": {"feat_1": [3.0, 6.0, 9.0, 6.0, 1.5, 6.0, 9.0, 6.0, 3.0], "feat_2": list("ABBBAAAAB")},
            "future_covariates": {"feat_1": [2.5, 2.2, 3.3], "feat_2": ["B", "A", "A"]},
        },
        {"target": [5.4, 3.0, 3.0, 2.0, 1.5, 2.0, -1.0], "start": "2024-02-02T03:00:00"},
    ],
    "parameters": {"prediction_length": 3, "quantile_levels": [0.1, 0.5, 0.9], "freq": "1h", "batch_size": 2},
}


def test_payload_becomes_a_valid_request_with_timestamps_from_start_and_freq():
    body = sagemaker_to_request(PAYLOAD)
    assert body["horizon"] == 3 and body["quantiles"] == [0.1, 0.5, 0.9]
    first, second = body["series"]
    assert first["id"] == "product_A" and second["id"] == "item_1"
    assert first["timestamps"][:2] == ["2024-01-01T01:00:00", "2024-01-01T02:00:00"] and first["freq"] == "1h"
    assert first["future_covariates"]["feat_2"] == ["B", "A", "A"] and "past_covariates" not in second
    ForecastRequest.model_validate(body)


def test_endpoint_defaults_apply_when_parameters_are_absent():
    body = sagemaker_to_request({"inputs": [{"target": [1.0, 2.0]}]})
    assert body["horizon"] == 1 and body["quantiles"] == [0.1, 0.5, 0.9]
    assert "timestamps" not in body["series"][0]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"inputs": []}, "'inputs' must be a non-empty list"),
        ({"inputs": [{"values": [1]}]}, r"inputs\[0\] needs a 'target' list"),
        ({"inputs": [{"target": [1], "start": "2024-01-01"}]}, "parameters.freq is missing"),
        ({"inputs": [{"target": [1]}], "parameters": {"freq": "D"}}, r"inputs\[0\].start is missing"),
        (
            {"inputs": [{"target": [1], "start": "soon"}], "parameters": {"freq": "D"}},
            "no timestamps from start 'soon'",
        ),
    ],
)
def test_malformed_payloads_are_invalid_requests(payload, message):
    with pytest.raises(InvalidRequest, match=message):
        sagemaker_to_request(payload)


def test_client_forecasts_a_payload_and_answers_in_the_endpoint_shape(client):
    response = client.forecast(PAYLOAD, model="mock")
    assert [f.id for f in response.forecasts] == ["product_A", "item_1"]
    assert response.forecasts[0].start_timestamp == "2024-01-01T10:00:00"  # the step after the 9th hour
    assert any("feat_1" in w for w in response.warnings or [])  # covariates reached the daemon (mock drops them)
    answer = response_to_sagemaker(response, PAYLOAD)
    a, b = answer["predictions"]
    assert list(a) == ["mean", "0.1", "0.5", "0.9", "item_id", "start"]
    assert a["item_id"] == "product_A" and a["mean"] == [1.0, 1.0, 1.0]
    assert "item_id" not in b and b["start"] == "2024-02-02T10:00:00" and b["0.9"] == [-1.0, -1.0, -1.0]
