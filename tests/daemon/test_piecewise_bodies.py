"""Large bodies are validated and serialised a series at a time (the event loop runs in between):
the result, and every error, must be exactly those of pydantic on the whole body."""

from __future__ import annotations

import orjson
import pytest
from pydantic import ValidationError

from tollama.core.evaluation import EvaluateRequest
from tollama.core.schemas import ForecastRequest
from tollama.daemon.bodies import _piecewise
from tollama.daemon.forecasting import _API_ONLY, runner_payload

GOOD = {
    "model": "mock",
    "horizon": 2,
    "quantiles": [0.1, 0.9],
    "options": {"k": 1},
    "series": [
        {"id": "a", "freq": "D", "target": [1, 2, None, 4], "past_covariates": {"x": [1, 2, 3, 4], "c": ["u"] * 4},
         "future_covariates": {"x": [5, 6], "c": ["v", "v"]}, "static_covariates": {"s": 1.5}},
        {"id": "b", "target": [4.0, 5.0]},
    ],
}  # fmt: skip

BAD = [
    {**GOOD, "series": [GOOD["series"][0], {"id": "b", "target": "x"}]},  # a series' own error
    {**GOOD, "horizon": 0, "series": [GOOD["series"][0], {"id": "", "target": [1]}]},  # request and series errors
    {**GOOD, "series": [GOOD["series"][1], GOOD["series"][1]]},  # an error only the request sees (repeated id)
    {**GOOD, "series": [GOOD["series"][0], {"id": "b", "target": [1.0], "future_covariates": {"z": [1, 2]}}]},
]


@pytest.mark.parametrize("model", [ForecastRequest, EvaluateRequest])
def test_a_good_body_validates_to_the_same_request(model):
    body = {**GOOD, "models": ["mock"]} if model is EvaluateRequest else GOOD
    assert _piecewise(model)(body) == model.model_validate(body)


@pytest.mark.parametrize("body", BAD)
def test_a_bad_body_raises_exactly_the_whole_bodys_errors(body):
    with pytest.raises(ValidationError) as whole:
        ForecastRequest.model_validate(body)
    with pytest.raises(ValidationError) as piecewise:
        _piecewise(ForecastRequest)(body)
    assert _described(piecewise.value) == _described(whole.value)


def _described(exc: ValidationError) -> list[tuple]:
    """What a client is told (the error objects in ``ctx`` compare by identity)."""
    return [(e["type"], e["loc"], e["msg"], e["input"]) for e in exc.errors(include_url=False)]


def test_the_runner_payload_is_the_whole_dump():
    request = ForecastRequest.model_validate(GOOD)
    whole = orjson.loads(request.model_dump_json(exclude_none=True, exclude=_API_ONLY))
    assert orjson.loads(runner_payload(request)) == whole
