"""The bound on body bytes held at once (issue 15, point 5): the excess waits, then gets a 503."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tollama.core.errors import ServerBusy
from tollama.daemon.body_budget import BodyBudget
from tollama.daemon.limits import BodyLimitMiddleware


def test_a_request_that_does_not_fit_waits_for_room_then_runs():
    async def scenario() -> tuple[int, int]:
        budget = BodyBudget(100, wait_seconds=30)
        await budget.reserve(80)
        waiting = asyncio.create_task(budget.reserve(50))
        await asyncio.sleep(0)  # let it start waiting
        assert not waiting.done() and budget.in_use == 80
        await budget.release(80)
        await waiting
        return budget.in_use, budget.max_bytes

    assert asyncio.run(scenario()) == (50, 100)


def test_past_the_wait_it_is_a_503_with_retry_after_and_a_lone_large_body_still_runs():
    async def scenario() -> ServerBusy:
        budget = BodyBudget(100, wait_seconds=0.05)
        await budget.reserve(500)  # larger than the budget, but alone: it runs
        with pytest.raises(ServerBusy) as busy:
            await budget.reserve(1)
        await budget.release(500)
        assert budget.in_use == 0
        return busy.value

    busy = asyncio.run(scenario())
    assert busy.headers["Retry-After"] and "TOLLAMA_MAX_BODY_BYTES_IN_FLIGHT" in busy.message


def test_the_middleware_holds_body_bytes_until_the_response_ends():
    """Two requests whose bodies do not fit together: the second one gets the 503, not the memory."""
    budget = BodyBudget(1000, wait_seconds=0.05)
    inside = asyncio.Event()
    finish = asyncio.Event()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await receive()
        inside.set()
        await finish.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    transport = httpx.ASGITransport(app=BodyLimitMiddleware(app, max_bytes=10_000, budget=budget))

    async def scenario() -> tuple[int, int, str, int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            first = asyncio.create_task(client.post("/api/forecast", content=b"x" * 800))
            await inside.wait()
            second = await client.post("/api/forecast", content=b"x" * 800)
            held = budget.in_use
            finish.set()
            await first
            return second.status_code, held, second.headers.get("retry-after", ""), budget.in_use

    status, held, retry_after, after = asyncio.run(scenario())
    assert (status, held, after) == (503, 800, 0) and retry_after.isdigit()
