"""``finish`` in-process: the response object built from a runner's answer, and the caches behind it."""

from __future__ import annotations

import pytest

from tollama.core.config import DEFAULT_BATCH_PARALLEL, DEFAULT_NUM_PARALLEL
from tollama.core.errors import InvalidRequest, TollamaError
from tollama.core.registry import get_spec
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast
from tollama.core.store import ModelStore
from tollama.daemon.forecasting import ForecastService, PreparedForecast, finish
from tollama.daemon.settings import DaemonSettings

DAYS = ["2025-01-01", "2025-01-02", "2025-01-03"]
MANIFEST = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")


def _prepared(**body) -> PreparedForecast:
    request = ForecastRequest.model_validate({"model": "mock", "horizon": 2, **body})
    return PreparedForecast(MANIFEST, request, ["a warning"], 0)


def test_quantiles_are_ordered_for_every_series_and_timestamps_follow_the_input():
    prepared = _prepared(
        quantiles=[0.1, 0.9],
        series=[
            {"id": "a", "target": [1.0], "freq": "D", "timestamps": ["2025-01-01"]},
            {"id": "b", "target": [1.0]},
        ],
    )
    raw = RunnerForecast(
        forecasts=[
            {"id": "b", "mean": [5.0, 5.0], "quantiles": {"0.1": [4.0, 4.0], "0.9": [6.0, 6.0]}},
            {"id": "a", "mean": [1.0, 2.0], "quantiles": {"0.1": [3.0, 0.0], "0.9": [0.5, 2.5]}},
        ]
    )
    response = finish(prepared, raw, 7)
    a, b = response["forecasts"]
    assert a == {
        "id": "a",
        "freq": "D",
        "start_timestamp": "2025-01-02",
        "timestamps": ["2025-01-02", "2025-01-03"],
        "mean": [1.0, 2.0],
        "quantiles": {"0.1": [0.5, 0.0], "0.9": [3.0, 2.5]},
    }
    assert b == {"id": "b", "mean": [5.0, 5.0], "quantiles": {"0.1": [4.0, 4.0], "0.9": [6.0, 6.0]}}
    assert response["warnings"] == ["a warning"] and response["load_duration"] == 7 and response["done"] is True
    assert "metrics" not in response


def test_a_missing_series_or_ragged_quantiles_are_runner_errors():
    prepared = _prepared(quantiles=[0.5], series=[{"id": "a", "target": [1.0]}])
    with pytest.raises(TollamaError, match="series 'a'"):
        finish(prepared, RunnerForecast(forecasts=[]), 0)
    ragged = RunnerForecast(forecasts=[{"id": "a", "mean": [1.0, 1.0], "quantiles": {"0.5": [1.0]}}])
    with pytest.raises(TollamaError, match="wrong length"):
        finish(prepared, ragged, 0)


def test_the_store_rereads_a_manifest_only_when_its_file_changes(tmp_path):
    store = ModelStore(tmp_path)
    store.put(MANIFEST)
    assert store.get("mock").description == MANIFEST.description
    store.put(MANIFEST.model_copy(update={"description": "changed"}))
    assert store.get("mock").description == "changed"
    store.delete("mock")
    with pytest.raises(Exception, match="not installed"):
        store.get("mock")


def test_num_parallel_auto_widens_for_batching_models_and_a_number_applies_to_all(tmp_path):
    auto = DaemonSettings.from_env({"TOLLAMA_HOME": str(tmp_path)})
    assert (auto.num_parallel, auto.batch_parallel) == (DEFAULT_NUM_PARALLEL, DEFAULT_BATCH_PARALLEL)
    fixed = DaemonSettings.from_env({"TOLLAMA_HOME": str(tmp_path), "TOLLAMA_NUM_PARALLEL": "2"})
    assert (fixed.num_parallel, fixed.batch_parallel) == (2, 2)
    with pytest.raises(InvalidRequest, match="TOLLAMA_BATCH_MAX_SERIES"):
        DaemonSettings.from_env({"TOLLAMA_HOME": str(tmp_path), "TOLLAMA_BATCH_MAX_SERIES": "many"})


@pytest.mark.parametrize(
    ("body", "as_sent"),
    [
        ({"model": "mock", "series": [{"id": "a", "target": [1.0]}]}, True),
        ({"series": [{"id": "a", "target": [1.0]}]}, False),  # the default model is filled in
        ({"model": "mock", "series": [{"id": "a", "target": [1.0] * 3, "timestamps": DAYS}]}, False),  # freq inferred
        ({"model": "mock", "series": [{"id": "a", "target": [1.0], "static_covariates": {"x": 1.0}}]}, False),
    ],
)
def test_a_request_goes_to_the_runner_as_sent_only_when_preparing_changed_nothing(tmp_path, body, as_sent):

    store = ModelStore(tmp_path)
    store.put(
        MANIFEST.model_copy(
            update={"capabilities": MANIFEST.capabilities.model_copy(update={"static_covariates": False})}
        )
    )
    service = ForecastService(store, supervisor=None, default_model=lambda: "mock")  # type: ignore[arg-type]
    assert service.prepare(ForecastRequest.model_validate({"horizon": 2, **body})).as_sent is as_sent
