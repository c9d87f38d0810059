"""The per-model queue in-process: slots, a full queue, clients leaving, cancellation.

``await asyncio.sleep(0)`` is one scheduler tick: the task just created runs up to its first
suspension (holding a slot, or waiting for one), deterministically, not a timed wait.
"""

from __future__ import annotations

import asyncio

import pytest

from tollama.core.errors import ClientDisconnected, ServerBusy
from tollama.daemon.admission import Admission


def test_full_queue_is_busy_with_retry_after_and_waiters_run_in_order():
    async def scenario():
        admission = Admission(parallel=1, max_queue=1)
        release_first = asyncio.Event()
        order: list[str] = []

        async def hold(name: str, until: asyncio.Event | None = None) -> None:
            async with admission.slot("m"):
                order.append(name)
                if until is not None:
                    await until.wait()

        first = asyncio.create_task(hold("first", release_first))
        await asyncio.sleep(0)  # let it take the slot
        second = asyncio.create_task(hold("second"))
        await asyncio.sleep(0)
        assert admission.stats()["m"].waiting == 1 and admission.stats()["m"].in_flight == 1
        with pytest.raises(ServerBusy) as busy:
            admission.enter("m")
        release_first.set()
        await asyncio.gather(first, second)
        return busy.value, order, admission.stats()["m"]

    busy, order, stats = asyncio.run(scenario())
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
    assert "TOLLAMA_MAX_QUEUE=1" in busy.message
    assert order == ["first", "second"]
    assert (stats.waiting, stats.in_flight, stats.rejected) == (0, 0, 1)


def test_a_client_that_leaves_while_queued_is_dropped_and_frees_its_place():
    async def scenario():
        admission = Admission(parallel=1, max_queue=1)
        release_first = asyncio.Event()
        gone = asyncio.Event()
        ran: list[str] = []

        async def hold() -> None:
            async with admission.slot("m"):
                await release_first.wait()

        async def client_gone() -> None:
            await gone.wait()

        async def queued() -> None:
            async with admission.slot("m", client_gone):
                ran.append("queued")

        first = asyncio.create_task(hold())
        await asyncio.sleep(0)
        waiter = asyncio.create_task(queued())
        await asyncio.sleep(0)
        gone.set()
        with pytest.raises(ClientDisconnected):
            await waiter
        after_drop = admission.stats()["m"]
        release_first.set()
        await first
        async with admission.slot("m"):  # the slot was not leaked
            ran.append("next")
        return ran, after_drop

    ran, after_drop = asyncio.run(scenario())
    assert ran == ["next"]
    assert (after_drop.waiting, after_drop.in_flight, after_drop.dropped) == (0, 1, 1)


def test_a_cancelled_waiter_leaks_no_slot():
    async def scenario():
        admission = Admission(parallel=1, max_queue=4)
        release = asyncio.Event()

        async def hold() -> None:
            async with admission.slot("m"):
                await release.wait()

        async def never_gone() -> None:
            await asyncio.Event().wait()

        async def queued() -> None:
            async with admission.slot("m", never_gone):
                pass

        first = asyncio.create_task(hold())
        await asyncio.sleep(0)
        waiter = asyncio.create_task(queued())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        release.set()
        await first
        async with asyncio.timeout(1), admission.slot("m"):
            return admission.stats()["m"]

    stats = asyncio.run(scenario())
    assert stats.in_flight == 1 and stats.waiting == 0


def test_queue_zero_admits_only_the_parallel_slots():
    async def scenario():
        admission = Admission(parallel=2, max_queue=0)
        tickets = [admission.enter("m"), admission.enter("m")]
        with pytest.raises(ServerBusy):
            admission.enter("m")
        tickets[0].leave()
        admission.enter("m")

    asyncio.run(scenario())


def test_a_batching_model_lets_its_waiters_through_at_once():
    async def scenario():
        admission = Admission(parallel=1, max_queue=8, batch_parallel=4)
        release = asyncio.Event()

        async def hold() -> None:
            async with admission.slot("m"):
                await release.wait()

        tasks = [asyncio.create_task(hold()) for _ in range(4)]
        await asyncio.sleep(0)
        before = admission.stats()["m"]
        admission.allow_batching("m")  # the runner's hello said it merges requests
        admission.allow_batching("m")  # idempotent
        await asyncio.sleep(0)
        after = admission.stats()["m"]
        release.set()
        await asyncio.gather(*tasks)
        return before, after

    before, after = asyncio.run(scenario())
    assert (before.in_flight, before.waiting) == (1, 3)
    assert (after.in_flight, after.waiting) == (4, 0)
