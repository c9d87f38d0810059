"""How a derived model schedules its parts: loads at once, CPU forecasts in turn, accelerators beside them.

``DerivedService.forecast_each_part`` runs against a recording stand-in for the forecast service
(the real path is covered by the daemon tests of this folder); the stand-in yields to the event
loop inside each forecast, so parts that are allowed to overlap do.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.schemas import ForecastRequest
from tollama.daemon.derived import DerivedService

SERIES = [{"id": "a", "target": [1.0, 2.0, 3.0, 4.0]}]


class RecordingForecasts:
    """Loads and forecasts that log what ran and how many forecasts overlapped."""

    def __init__(self, max_loaded: int = 0, failing: str | None = None, bad_input: str | None = None) -> None:
        self.bad_input = bad_input
        self.supervisor = SimpleNamespace(default_keep_alive=300.0, max_loaded=max_loaded)
        self.log: list[tuple[str, str]] = []
        self.running: set[str] = set()
        self.overlaps: list[set[str]] = []
        self.failing = failing

    def prepare(self, request: ForecastRequest) -> None:
        if request.model == self.bad_input:
            raise InvalidRequest(f"series 'a': model '{request.model}' cannot take that")

    async def load(self, name: str, keep_alive: Any = None, report: Any = None) -> int:
        self.log.append(("load", name))
        report({"status": f"loading model {name}", "done": False})
        await asyncio.sleep(0)
        return 1_000 if name != "loaded" else 0

    async def events(self, request: ForecastRequest, keep_alive: Any = None, client_gone: Any = None):
        name = str(request.model)
        self.log.append(("start", name))
        yield {"status": "forecasting", "completed": 0, "total": 2, "done": False}
        self.running.add(name)
        for _ in range(5):  # let anything allowed to run beside this part start now
            await asyncio.sleep(0)
            self.overlaps.append(set(self.running))
        self.running.discard(name)
        self.log.append(("end", name))
        if name == self.failing:
            raise ModelNotFound(f"model '{name}' not found")
        yield {"done": True, "forecasts": [], "load_duration": 7 if name == "slow-load" else 0}


def service(forecasts: RecordingForecasts, derived: frozenset[str] = frozenset()) -> DerivedService:
    store = SimpleNamespace(get=lambda name: SimpleNamespace(ensemble={} if name in derived else None, auto=None))
    return DerivedService(store, forecasts, pulls=None)  # type: ignore[arg-type]


def requests(members: dict[str, dict]) -> dict[str, ForecastRequest]:
    return {m: ForecastRequest(model="ens", horizon=2, series=SERIES, options=o) for m, o in members.items()}


def run(svc: DerivedService, members: dict[str, dict], keep_alive: Any = None, report: Any = None) -> dict[str, dict]:
    return asyncio.run(svc.forecast_each_part(requests(members), keep_alive, None, report))


def test_cpu_parts_forecast_in_turn_after_all_loaded_at_once() -> None:
    forecasts = RecordingForecasts()
    answers = run(service(forecasts), {"auto-ets": {}, "fracast-0": {"device": "cpu"}, "auto-theta": {}})
    assert forecasts.log[:3] == [("load", "auto-ets"), ("load", "fracast-0"), ("load", "auto-theta")]
    assert forecasts.log[3:] == [
        ("start", "auto-ets"), ("end", "auto-ets"),
        ("start", "fracast-0"), ("end", "fracast-0"),
        ("start", "auto-theta"), ("end", "auto-theta"),
    ]  # fmt: skip
    assert max(len(running) for running in forecasts.overlaps) == 1
    assert {m: a["load_duration"] for m, a in answers.items()} == {
        "auto-ets": 1_000,
        "fracast-0": 1_000,
        "auto-theta": 1_000,
    }


def test_parts_on_an_accelerator_run_beside_the_cpu_lane() -> None:
    forecasts = RecordingForecasts()
    run(service(forecasts), {"auto-ets": {}, "chronos-gpu": {"device": "cuda"}, "toto-auto": {"device": "auto"}})
    assert {"auto-ets", "chronos-gpu", "toto-auto"} in forecasts.overlaps


def test_loading_ahead_is_skipped_where_it_would_be_undone() -> None:
    for forecasts, keep_alive in [(RecordingForecasts(), 0), (RecordingForecasts(max_loaded=1), None)]:
        answers = run(service(forecasts), {"auto-ets": {}, "slow-load": {}}, keep_alive)
        assert [entry for entry in forecasts.log if entry[0] == "load"] == []
        assert answers["slow-load"]["load_duration"] == 7  # the forecast's own load is still reported
    forecasts = RecordingForecasts()
    run(service(forecasts, derived=frozenset({"inner-ensemble"})), {"auto-ets": {}, "inner-ensemble": {}})
    assert ("load", "inner-ensemble") not in forecasts.log  # a derived part loads its own parts
    assert ("start", "inner-ensemble") in forecasts.log


def test_bad_input_for_any_part_fails_before_a_part_forecasts() -> None:
    forecasts = RecordingForecasts(bad_input="seasonal-naive")
    with pytest.raises(InvalidRequest, match="member 'seasonal-naive': series 'a'"):
        run(service(forecasts), {"auto-ets": {}, "auto-theta": {}, "seasonal-naive": {}})
    assert forecasts.log == []  # nothing loaded, nothing forecast


def test_a_failing_part_is_named_and_stops_the_lane() -> None:
    forecasts = RecordingForecasts(failing="auto-ets")
    with pytest.raises(ModelNotFound, match="member 'auto-ets'"):
        run(service(forecasts), {"auto-ets": {}, "auto-theta": {}})
    assert ("start", "auto-theta") not in forecasts.log


def test_each_parts_lines_are_reported_with_its_name() -> None:
    lines: list[dict] = []
    run(service(RecordingForecasts()), {"auto-ets": {}, "fracast-0": {}}, report=lines.append)
    assert lines == [
        {"status": "auto-ets: loading model auto-ets", "done": False},
        {"status": "fracast-0: loading model fracast-0", "done": False},
        {"status": "auto-ets: forecasting", "completed": 0, "total": 2, "done": False},
        {"status": "fracast-0: forecasting", "completed": 0, "total": 2, "done": False},
    ]
