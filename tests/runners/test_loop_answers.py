"""The runner loop in-process: every request gets an answer, whatever raises on whichever thread.

A ~200-byte request with options nested 254+ deep used to make the batching thread raise a
``TypeError`` (orjson's recursion limit); no answer went out, so the daemon waited for its
whole timeout and then killed the runner for everyone.
"""

from __future__ import annotations

import io
import threading

import orjson
import pytest

from tollama.core.registry import get_spec
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast
from tollama.runners.loop import RunnerLoop
from tollama.runners.mock.adapter import MockAdapter
from tollama.runners.progress import current

MOCK = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")
SERIES = b'"series":[{"id":"s","target":[1.0,2.0]}]'


def _forecast_line(request_id: str, options: bytes = b"{}") -> bytes:
    request = b'{"model":"mock","horizon":2,' + SERIES + b',"options":' + options + b"}"
    head = b'{"id":"' + request_id.encode() + b'","method":"forecast",'
    return head + b'"params":{"model":"mock","request":' + request + b"}}\n"


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"{}" + b"}" * depth


def _serve(adapter: MockAdapter, lines: list[bytes]) -> dict[str, dict]:
    """Run the loop over ``lines`` then a ``shutdown``; each request id's final frame."""
    out = io.BytesIO()
    RunnerLoop(adapter, out).run(iter([*lines, b'{"id":"end","method":"shutdown","params":{}}\n']))
    frames = [orjson.loads(line) for line in out.getvalue().splitlines()]
    return {f["id"]: f for f in frames if "started" not in f and "progress" not in f}


@pytest.fixture
def adapter() -> MockAdapter:
    mock = MockAdapter()
    mock.load(MOCK)
    return mock


@pytest.mark.parametrize("depth", [254, 300, 5000])
def test_deeply_nested_options_get_an_error_answer_and_the_next_request_is_served(adapter, depth):
    deep = _forecast_line("7", _nested(depth))
    answers = _serve(adapter, [deep, _forecast_line("8")])
    assert answers["7"]["error"]["code"] == "InvalidRequest", answers["7"]
    assert "nest" in answers["7"]["error"]["message"] or "could not read" in answers["7"]["error"]["message"]
    assert answers["8"]["result"]["forecasts"][0]["mean"] == [2.0, 2.0]


class _Exploding(MockAdapter):
    """Raises what ``ValueError`` handlers do not catch, from the batching thread."""

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        if request.options.get("explode"):
            raise {"key": KeyError, "recursion": RecursionError, "type": TypeError}[request.options["explode"]]("boom")
        return super().forecast(model, request)


@pytest.mark.parametrize("kind", ["key", "recursion", "type"])
def test_any_exception_of_an_adapter_is_that_requests_error(kind):
    adapter = _Exploding()
    adapter.load(MOCK)
    answers = _serve(adapter, [_forecast_line("1", orjson.dumps({"explode": kind})), _forecast_line("2")])
    assert "boom" in answers["1"]["error"]["message"]
    assert "result" in answers["2"]


def test_a_frame_that_cannot_be_parsed_is_answered_by_its_id(adapter):
    answers = _serve(adapter, [b'{"id":"9","method":"load","params":{"model":' + _nested(2000) + b"}}\n"])
    assert answers["9"]["error"]["code"] == "InvalidRequest"
    assert "could not read the request" in answers["9"]["error"]["message"]


def test_a_failing_batch_key_does_not_wedge_the_batcher(adapter, monkeypatch):
    import tollama.runners.batching as batching

    real = batching.batch_key

    def flaky(request: ForecastRequest) -> bytes:
        if request.options.get("bad"):
            raise OverflowError("cannot key this")
        return real(request)

    monkeypatch.setattr(batching, "batch_key", flaky)
    answers = _serve(adapter, [_forecast_line("1", b'{"bad":true}'), _forecast_line("2")])
    assert "cannot key this" in answers["1"]["error"]["message"] and "result" in answers["2"]


class _Slow(MockAdapter):
    """Reports progress, then waits until cancelled."""

    batchable = False

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        work = current()
        work.report(1, 3)
        self.waiting.set()
        work.wait(60)
        raise AssertionError("not cancelled")


def test_a_cancel_stops_the_work_and_progress_goes_out_as_frames():
    adapter = _Slow()
    adapter.load(MOCK)
    out = io.BytesIO()
    loop = RunnerLoop(adapter, out)

    def lines():
        yield _forecast_line("5")
        assert adapter.waiting.wait(10)
        yield b'{"id":"c1","method":"cancel","params":{"id":"5"}}\n'
        yield b'{"id":"end","method":"shutdown","params":{}}\n'

    assert loop.run(lines())
    frames = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert {"id": "5", "progress": {"completed": 1, "total": 3}} in frames
    answer = next(f for f in frames if f["id"] == "5" and "error" in f)
    assert answer["error"]["code"] == "ClientDisconnected"
    assert not any(f["id"] == "c1" for f in frames)  # a cancel has no answer of its own


def test_end_of_stdin_cancels_running_work():
    adapter = _Slow()
    adapter.load(MOCK)

    def lines():
        yield _forecast_line("5")
        assert adapter.waiting.wait(10)

    out = io.BytesIO()
    assert RunnerLoop(adapter, out).run(lines())  # the daemon is gone: work stops, run returns at once
    assert b'"code":"ClientDisconnected"' in out.getvalue()
