"""Dynamic batching: merging and splitting, and the batcher driving the real mock adapter.

Concurrency is arranged with events, never sleeps: a gated adapter holds its first call until
the test has queued the requests that should merge behind it.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tollama.core.config import BatchSettings
from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.registry import get_spec
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast
from tollama.runners.batching import Batcher, Replies, batch_key, merge, split
from tollama.runners.mock.adapter import MockAdapter

WAIT_SECONDS = 30.0
BAD_VALUE = 666.0


def _request(*targets: list[float], horizon: int = 2, ids: list[str] | None = None, **extra: Any) -> ForecastRequest:
    names = ids or [f"s{i}" for i in range(len(targets))]
    series = [{"id": name, "target": target} for name, target in zip(names, targets, strict=True)]
    return ForecastRequest.model_validate({"model": "mock", "horizon": horizon, "series": series, **extra})


def _unbatched(request: ForecastRequest) -> RunnerForecast:
    return _loaded(MockAdapter()).forecast("mock", request)


def _loaded(adapter: MockAdapter) -> MockAdapter:
    adapter.load(ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00"))
    return adapter


class GatedMock(MockAdapter):
    """The real mock, recording each call's series count; its first call waits for ``release``.

    A series whose last value is ``BAD_VALUE`` makes the call fail with ``InvalidRequest``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        self.calls.append(len(request.series))
        if len(self.calls) == 1:
            self.entered.set()
            assert self.release.wait(WAIT_SECONDS)
        for series in request.series:
            if series.target[-1] == BAD_VALUE:
                raise InvalidRequest(f"series '{series.id}': the value {BAD_VALUE} is refused")
        return super().forecast(model, request)


class Outcomes:
    """Replies collected per request id; ``wait`` blocks until all expected ones arrived."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.results: dict[str, RunnerForecast] = {}
        self.errors: dict[str, BaseException] = {}
        self._cond = threading.Condition()

    def replies(self) -> Replies:
        return Replies(started=self._started, result=self._result, error=self._error)

    def _started(self, ids: list[str]) -> None:
        with self._cond:
            self.started.extend(ids)

    def _result(self, request_id: str, forecast: RunnerForecast) -> None:
        with self._cond:
            self.results[request_id] = forecast
            self._cond.notify_all()

    def _error(self, request_id: str, exc: BaseException) -> None:
        with self._cond:
            self.errors[request_id] = exc
            self._cond.notify_all()

    def wait(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.results) + len(self.errors) >= count, WAIT_SECONDS)


def _busy_batcher(adapter: GatedMock, settings: BatchSettings | None = None) -> tuple[Batcher, Outcomes]:
    """A batcher whose model is busy with a first request ("first") until ``adapter.release``."""
    outcomes = Outcomes()
    batcher = Batcher(_loaded(adapter), outcomes.replies(), settings or BatchSettings())
    leader = threading.Thread(target=batcher.submit, args=("first", "mock", _request([0.0])))
    leader.start()
    assert adapter.entered.wait(WAIT_SECONDS)
    return batcher, outcomes


def test_merge_renames_colliding_ids_and_split_gives_each_request_its_own_series():
    one = _request([1.0, 2.0], [3.0], ids=["a", "b"])
    two = _request([9.0], ids=["a"])
    merged, origin = merge([one, two])
    assert len({s.id for s in merged.series}) == 3
    assert [origin[s.id] for s in merged.series] == [(0, "a"), (0, "b"), (1, "a")]
    parts = split(_unbatched(merged), 2, origin)
    assert parts == [_unbatched(one), _unbatched(two)]


def test_split_sends_a_warning_to_the_request_it_names_and_general_ones_to_all():
    merged, origin = merge([_request([1.0], ids=["x"]), _request([2.0], ids=["x"])])
    second_id = merged.series[1].id
    result = RunnerForecast(
        forecasts=_unbatched(merged).forecasts,
        warnings=[f"series '{second_id}': context was truncated", "quantile heads were clipped"],
    )
    first, second = split(result, 2, origin)
    assert first.warnings == ["quantile heads were clipped"]
    assert second.warnings == ["series 'x': context was truncated", "quantile heads were clipped"]


def test_only_requests_with_the_same_horizon_quantiles_options_and_covariates_share_a_key():
    base = _request([1.0])
    assert batch_key(base) == batch_key(_request([5.0, 6.0], [7.0]))
    assert batch_key(base) != batch_key(_request([1.0], horizon=3))
    assert batch_key(base) != batch_key(_request([1.0], quantiles=[0.5]))
    assert batch_key(base) != batch_key(_request([1.0], options={"tag": "other"}))
    with_covariate = ForecastRequest.model_validate(
        {"horizon": 2, "series": [{"id": "s", "target": [1.0], "static_covariates": {"store": 1.0}}]}
    )
    assert batch_key(base) != batch_key(with_covariate)


def test_requests_arriving_while_the_model_is_busy_share_one_call_with_unbatched_answers():
    adapter = GatedMock()
    batcher, outcomes = _busy_batcher(adapter)
    queued = {f"r{i}": _request([float(i), float(10 + i)], ids=["same"]) for i in range(3)}
    for request_id, request in queued.items():
        batcher.submit(request_id, "mock", request)  # returns at once: the group is busy
    assert outcomes.results == {} and outcomes.started == ["first"]
    adapter.release.set()
    outcomes.wait(4)
    assert adapter.calls == [1, 3]
    assert outcomes.started == ["first", "r0", "r1", "r2"]
    for request_id, request in queued.items():
        assert outcomes.results[request_id] == _unbatched(request)


def test_incompatible_requests_never_merge():
    adapter = GatedMock()
    batcher, outcomes = _busy_batcher(adapter)
    batcher.submit("other-horizon", "mock", _request([1.0], horizon=5))  # its own group: runs now
    assert outcomes.results["other-horizon"] == _unbatched(_request([1.0], horizon=5))
    adapter.release.set()
    outcomes.wait(2)
    assert adapter.calls == [1, 1]


def test_merged_batches_stay_under_max_series():
    adapter = GatedMock()
    batcher, outcomes = _busy_batcher(adapter, BatchSettings(max_series=4))
    for i in range(3):
        batcher.submit(f"r{i}", "mock", _request([1.0], [2.0]))
    adapter.release.set()
    outcomes.wait(4)
    assert adapter.calls == [1, 4, 2]


def test_a_merged_call_refused_for_one_request_runs_each_alone():
    adapter = GatedMock()
    batcher, outcomes = _busy_batcher(adapter)
    good = _request([1.0, 2.0], ids=["x"])
    batcher.submit("good", "mock", good)
    batcher.submit("bad", "mock", _request([1.0, BAD_VALUE], ids=["x"]))
    adapter.release.set()
    outcomes.wait(3)
    assert adapter.calls == [1, 2, 1, 1]  # the merged call failed, then each ran alone
    assert outcomes.results["good"] == _unbatched(good)
    assert isinstance(outcomes.errors["bad"], InvalidRequest)
    assert "series 'x'" in str(outcomes.errors["bad"])  # the requester's own id, not the merged one


def test_an_error_about_the_model_goes_to_every_request_of_the_call():
    adapter = GatedMock()
    batcher, outcomes = _busy_batcher(adapter)
    batcher.submit("r0", "mock", _request([1.0]))
    batcher.submit("r1", "mock", _request([2.0]))
    adapter.unload("mock")
    adapter.release.set()
    outcomes.wait(3)
    assert adapter.calls == [1, 2]
    assert all(isinstance(outcomes.errors[name], ModelNotFound) for name in ("first", "r0", "r1"))


def test_a_window_holds_an_idle_models_first_request_until_the_batch_fills():
    adapter = GatedMock()
    adapter.release.set()
    outcomes = Outcomes()
    batcher = Batcher(_loaded(adapter), outcomes.replies(), BatchSettings(window_seconds=WAIT_SECONDS, max_series=2))
    leader = threading.Thread(target=batcher.submit, args=("r0", "mock", _request([1.0])))
    leader.start()
    batcher.submit("r1", "mock", _request([2.0]))  # fills the batch: the window ends now
    outcomes.wait(2)
    leader.join(WAIT_SECONDS)
    assert adapter.calls == [2]


@pytest.mark.parametrize("max_series", [0, 5])
def test_batch_settings_read_the_environment(max_series):
    environ = {"TOLLAMA_BATCH_WINDOW_MS": "2.5", "TOLLAMA_BATCH_MAX_SERIES": str(max_series)}
    settings = BatchSettings.from_env(environ)
    assert settings.window_seconds == pytest.approx(0.0025)
    assert settings.enabled is (max_series > 0)


class LonerMock(GatedMock):
    """Keeps requests tagged "alone" out of merged calls, as a family with cross-series options would."""

    def can_merge(self, model: str, request: ForecastRequest) -> bool:
        return request.options.get("tag") != "alone"


def test_a_request_the_adapter_keeps_alone_is_never_merged():
    adapter = LonerMock()
    batcher, outcomes = _busy_batcher(adapter)
    loner = _request([4.0], options={"tag": "alone"})
    batcher.submit("loner", "mock", loner)  # runs at once on this thread, beside the busy call
    assert outcomes.results["loner"] == _unbatched(loner)
    adapter.release.set()
    outcomes.wait(2)
    assert adapter.calls == [1, 1]


class PatientBatcher(Batcher):
    """Waits as long as the test needs after its first merged call (the real wait is a share of the call)."""

    waits = 0

    def regather_seconds(self, call_seconds: float) -> float:
        self.waits += 1
        return WAIT_SECONDS if self.waits == 1 else 0.0


class EnqueuingMock(GatedMock):
    """On its second call (the merged one) a request comes in, as a client's would during a call."""

    batcher: Batcher

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        if len(self.calls) == 1:
            self.batcher.submit("during", "mock", _request([5.0]))  # the group is running: queued only
        return super().forecast(model, request)


def test_after_a_merged_call_the_next_call_waits_for_as_many_series_before_running():
    adapter = EnqueuingMock()
    outcomes = Outcomes()
    batcher = adapter.batcher = PatientBatcher(_loaded(adapter), outcomes.replies(), BatchSettings())
    leader = threading.Thread(target=batcher.submit, args=("first", "mock", _request([0.0])))
    leader.start()
    assert adapter.entered.wait(WAIT_SECONDS)
    batcher.submit("a", "mock", _request([1.0]))
    batcher.submit("b", "mock", _request([2.0]))
    adapter.release.set()
    outcomes.wait(3)  # first alone, then a+b merged; "during" came in meanwhile and waits for company
    batcher.submit("after", "mock", _request([3.0]))
    outcomes.wait(5)
    leader.join(WAIT_SECONDS)
    assert adapter.calls == [1, 2, 2]
    assert outcomes.results["during"] == _unbatched(_request([5.0]))
