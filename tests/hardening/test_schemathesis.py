"""Property-based fuzzing of our own OpenAPI document against a real daemon (schemathesis).

Every operation of ``/openapi.json`` gets generated requests, valid and invalid; every answer
must be a non-5xx status the document lists, with the content type and body schema it lists
(``case.call_and_validate`` runs schemathesis' default checks), and no 200 stream may hide a
server error in an error line. NDJSON bodies are read as the
array of their lines (see ``daemon/openapi.py``), so each streamed line is checked too. The mock
model is installed and a hook points half of the forecasts at it, so the runner path is fuzzed,
not only the 404 for unknown names.

schemathesis' own pytest plugin (``from_fixture``) does not run under pytest 9.2 (it reads a
node attribute pytest removed), so each operation's Hypothesis strategy is driven here with
``@given``, as schemathesis documents for use outside its plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from tollama.testing.daemon import DaemonProcess
from tollama.testing.probes import metric

MAX_EXAMPLES = 50
# Off: "schema-valid request rejected". The contract has rules JSON Schema cannot state (timestamps
# and covariates as long as the target or the horizon, unique series ids, at least one observed
# value, limits and frequencies that depend on the model); their 400s are the right answers.
# Every other default check stays on: no 5xx, documented statuses, content types, headers and
# response schemas, and invalid (negative) data rejected with a 4xx.
CONFIG = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {"enabled": False}}})


@schemathesis.deserializer("application/x-ndjson")
def _ndjson_lines(_ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> list:
    return [orjson.loads(line) for line in response.content.splitlines() if line.strip()]


def _fit(values: object, length: int) -> list:
    """``values`` cut or padded (with its last item) to ``length``."""
    items = list(values) if isinstance(values, list) and values else [1.0]
    return (items + [items[-1]] * length)[:length]


def _repair(body: dict) -> None:
    """Keep a generated forecast as generated, except for the rules JSON Schema cannot state.

    Unique ids, covariates as long as the target or the horizon, a horizon within the limit;
    timestamps and frequencies are dropped (random strings are never dates).
    """
    horizon = body["horizon"] = min(body.get("horizon", 1), 50) if isinstance(body.get("horizon"), int) else 1
    for index, series in enumerate(s for s in body["series"] if isinstance(s, dict)):
        series["id"] = f"s{index}"
        series.pop("timestamps", None)
        series.pop("freq", None)
        length = len(series["target"]) if isinstance(series.get("target"), list) else 0
        past, future = series.get("past_covariates"), series.get("future_covariates")
        if isinstance(past, dict):
            series["past_covariates"] = {k: _fit(v, length) for k, v in past.items()}
        if isinstance(future, dict):
            known = series.get("past_covariates") or {}
            series["future_covariates"] = {k: _fit(v, horizon) for k, v in future.items() if k in known}
        if isinstance(series.get("actuals"), list):
            series["actuals"] = _fit(series["actuals"], horizon)


def map_body(context: schemathesis.HookContext, body):  # type: ignore[no-untyped-def]
    """Send about half the generated forecasts, repaired, to the installed mock model; never delete it."""
    if not isinstance(body, dict):
        return body
    path = context.operation.path if context.operation else ""
    if path in ("/api/forecast", "/v1/forecast") and isinstance(body.get("series"), list) and len(body) % 2:
        body["model"] = "mock"
        body.pop("name", None)
        _repair(body)
    if path == "/api/delete" and body.get("model") == "mock":
        body["model"] = "not-installed"
    return body


def assert_no_hidden_server_error(content: bytes) -> None:
    """A 200 stream may end in an error line: it must be an input error, never an internal one.

    ``{"error": ..., "status": 4xx}`` lines are the request's fault; a line with status 500, or
    none (``streaming.py``'s "internal error" line), is a server error hidden behind the 200.
    """
    for line in filter(None, content.splitlines()):
        event = orjson.loads(line)
        if isinstance(event, dict) and "error" in event:
            assert isinstance(event.get("status"), int) and event["status"] < 500, f"server error in a stream: {event}"


@pytest.fixture(scope="module")
def fuzzed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DaemonProcess, dict[str, schemathesis.BaseSchema]]]:
    """The daemon, and its schema per generation mode: only valid requests are repaired for mock."""
    home = tmp_path_factory.mktemp("schemathesis") / "home"
    env = {"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "30", "TOLLAMA_MAX_HORIZON": "1000"}
    with DaemonProcess(home, env=env) as daemon:
        httpx.post(f"{daemon.base_url}/api/pull", json={"model": "mock", "stream": False}, trust_env=False)
        url = f"{daemon.base_url}/openapi.json"
        positive = schemathesis.openapi.from_url(url, config=CONFIG)
        positive.hook(map_body)
        yield daemon, {"positive": positive, "negative": schemathesis.openapi.from_url(url, config=CONFIG)}


@pytest.mark.slow
@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_every_operation_conforms_and_never_5xx(fuzzed, mode: schemathesis.GenerationMode) -> None:
    daemon, schemas = fuzzed
    api_schema = schemas[str(mode)]
    failures: list[str] = []
    # POST /api/shutdown stops the daemon under test; tests/habits/test_daemon_habits.py covers it.
    operations = [op for op in (r.ok() for r in api_schema.get_all_operations()) if op.path != "/api/shutdown"]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(timeout=60)
            types = [v[0] for k, v in response.headers.items() if k.lower() == "content-type" and v]
            if types and types[0].startswith("application/x-ndjson"):
                assert_no_hidden_server_error(response.content)

        try:
            check()
        except Unsatisfiable:
            assert mode is schemathesis.GenerationMode.NEGATIVE  # an operation with no input cannot be sent bad input
        except (Exception, BaseExceptionGroup) as exc:  # one operation's failure must not hide the others'
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    if mode is schemathesis.GenerationMode.POSITIVE:  # the runner path was fuzzed, not only the 404s
        with httpx.Client(base_url=daemon.base_url, trust_env=False) as http:
            assert metric(http, "tollama_requests_total", route="/api/forecast", status="200") > 0
            assert metric(http, "tollama_requests_total", route="/v1/forecast", status="200") > 0
