"""Body size (413, counted on the stream) and forecast shape bounds (400 naming the limit)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tollama.core.errors import InvalidRequest
from tollama.core.registry import get_spec
from tollama.core.schemas import ForecastRequest, Limits, ModelManifest
from tollama.daemon.limits import MAX_FORECAST_VALUES, BodyLimitMiddleware, RequestLimits, check_forecast_limits
from tollama.testing.daemon import DaemonProcess

MOCK = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")
SMALL = {"model": "mock", "horizon": 2, "stream": False, "series": [{"id": "s1", "target": [1.0, 2.0]}]}
JSON = {"Content-Type": "application/json"}


def _request(horizon: int = 2, series: int = 1, length: int = 3, quantiles: int = 0) -> ForecastRequest:
    levels = [round((i + 1) / (quantiles + 1), 6) for i in range(quantiles)]
    return ForecastRequest(
        horizon=horizon,
        quantiles=levels,
        series=[{"id": f"s{i}", "target": [1.0] * length} for i in range(series)],
    )


def test_shape_limits_name_the_model_or_the_daemon_variable():
    capped = MOCK.model_copy(update={"limits": Limits(max_horizon=8, max_series=2, max_quantiles=3)})
    defaults = RequestLimits(max_horizon=100, max_series=100, max_series_length=10, max_quantiles=5)
    cases = [
        (capped, _request(horizon=9), "horizon 9 is above model 'mock' limit of 8"),
        (capped, _request(series=3), "series count 3 is above model 'mock' limit of 2"),
        (capped, _request(quantiles=4), "quantile count 4 is above model 'mock' limit of 3"),
        (MOCK, _request(horizon=101), "horizon 101 is above the daemon limit of 100 (TOLLAMA_MAX_HORIZON)"),
        (MOCK, _request(series=101), "above the daemon limit of 100 (TOLLAMA_MAX_SERIES)"),
        (MOCK, _request(quantiles=6), "above the daemon limit of 5 (TOLLAMA_MAX_QUANTILES)"),
        (MOCK, _request(length=11), "'s0' has 11 points, above the daemon limit of 10 (TOLLAMA_MAX_SERIES_LENGTH)"),
    ]
    for manifest, request, message in cases:
        with pytest.raises(InvalidRequest) as err:
            check_forecast_limits(manifest, request, defaults)
        assert message in err.value.message
    check_forecast_limits(capped, _request(horizon=8, series=2, quantiles=3), defaults)


def test_forecast_value_budget_bounds_the_response_size():
    wide = RequestLimits(max_horizon=10**9, max_series=10**9, max_quantiles=99)
    with pytest.raises(InvalidRequest, match=f"limit of {MAX_FORECAST_VALUES}"):
        check_forecast_limits(MOCK, _request(horizon=MAX_FORECAST_VALUES // 10, series=1, quantiles=19), wide)


def _drive(middleware_max: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, bytes | None]:
    """Run the middleware over an ASGI exchange; return (status, body the app saw or None)."""
    seen: dict[str, Any] = {}

    async def app(scope, receive, send):
        message = await receive()
        seen["body"] = message["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/forecast", "headers": headers}
    asyncio.run(BodyLimitMiddleware(app, middleware_max)(scope, receive, send))
    return sent[0]["status"], seen.get("body")


def test_body_limit_counts_bytes_that_arrive_not_the_declared_length():
    lying = [(b"content-length", b"10")]
    status, body = _drive(100, lying, [b"x" * 60, b"x" * 60])
    assert status == 413 and body is None  # the app never saw the body
    status, body = _drive(100, [], [b"x" * 60, b"x" * 41])  # chunked: no Content-Length at all
    assert status == 413 and body is None
    status, body = _drive(100, [(b"content-length", b"101")], [b""])  # honest and too large: refused unread
    assert status == 413 and body is None
    status, body = _drive(100, [], [b"x" * 50, b"y" * 50])
    assert status == 200 and body == b"x" * 50 + b"y" * 50


def test_daemon_refuses_chunked_and_declared_oversized_bodies_and_names_shape_limits(tollama_home):
    env = {"TOLLAMA_MAX_REQUEST_BYTES": "2000", "TOLLAMA_MAX_HORIZON": "5"}
    with (
        DaemonProcess(tollama_home, env=env) as daemon,
        httpx.Client(base_url=daemon.base_url, timeout=30, trust_env=False) as http,
    ):
        http.post("/api/pull", json={"model": "mock", "stream": False})
        big = b'{"model": "mock", "horizon": 2, "series": [{"id": "s", "target": [' + b"1.0, " * 2000 + b"1.0]}]}"

        def chunks():
            for start in range(0, len(big), 500):
                yield big[start : start + 500]

        chunked = http.post("/api/forecast", content=chunks(), headers=JSON)
        assert chunked.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 413 and "TOLLAMA_MAX_REQUEST_BYTES" in chunked.json()["error"]
        declared = http.post("/api/forecast", content=big, headers=JSON)
        assert declared.status_code == 413
        too_far = http.post("/api/forecast", json={**SMALL, "horizon": 6})
        assert too_far.status_code == 400
        assert too_far.json()["error"] == "horizon 6 is above the daemon limit of 5 (TOLLAMA_MAX_HORIZON)"
        assert http.post("/api/forecast", json=SMALL).status_code == 200
