"""Admission: per model, ``parallel`` requests computed at once and at most ``max_queue`` waiting.

A model whose runner merges concurrent requests into batches gets ``batch_parallel`` places
instead, once its runner has said so: batching needs requests in flight together.

A request past the queue is turned away at once with 503 and ``Retry-After`` (``ServerBusy``),
before any work or any streamed line. A request whose client hangs up while it waits leaves
the queue and is never sent to a runner (Ollama's scheduler drops cancelled requests the same
way). Waiting is FIFO: ``asyncio.Semaphore`` wakes waiters in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from tollama.core.config import DEFAULT_NUM_PARALLEL
from tollama.core.errors import ClientDisconnected, ServerBusy

ClientGone = Callable[[], Awaitable[None]]
DEFAULT_MAX_QUEUE = 256
MAX_RETRY_AFTER_SECONDS = 60
_EWMA_WEIGHT = 0.2


@dataclass
class _Gate:
    parallel: int
    semaphore: asyncio.Semaphore
    entered: int = 0
    in_flight: int = 0
    seconds_per_request: float = 1.0

    @property
    def waiting(self) -> int:
        return self.entered - self.in_flight


@dataclass
class QueueStats:
    """What ``/metrics`` shows per model."""

    waiting: int
    in_flight: int
    rejected: int = 0
    dropped: int = 0


@dataclass
class Ticket:
    """One admitted request: a place in its model's queue until ``leave``."""

    gate: _Gate
    model: str
    admission: Admission
    _left: bool = field(default=False, repr=False)

    @contextlib.asynccontextmanager
    async def turn(self, client_gone: ClientGone | None = None) -> AsyncIterator[None]:
        """Wait for a free slot (or the client leaving), hold it for the block."""
        gate = self.gate
        try:
            acquired = await _acquire(gate.semaphore, client_gone)
        except asyncio.CancelledError:  # a streaming response cancelled by its client's disconnect
            self.admission.note_dropped(self.model)
            raise
        if not acquired:
            self.admission.note_dropped(self.model)
            raise ClientDisconnected(f"the client left while its request waited for model '{self.model}'")
        gate.in_flight += 1
        started = time.monotonic()
        try:
            yield
        finally:
            gate.in_flight -= 1
            gate.semaphore.release()
            spent = time.monotonic() - started
            gate.seconds_per_request += _EWMA_WEIGHT * (spent - gate.seconds_per_request)

    def leave(self) -> None:
        if not self._left:
            self._left = True
            self.gate.entered -= 1


class Admission:
    def __init__(
        self,
        parallel: int = DEFAULT_NUM_PARALLEL,
        max_queue: int = DEFAULT_MAX_QUEUE,
        batch_parallel: int | None = None,
    ) -> None:
        self.parallel = parallel
        self.batch_parallel = parallel if batch_parallel is None else batch_parallel
        self.max_queue = max_queue
        self._gates: dict[str, _Gate] = {}
        self._rejected: dict[str, int] = {}
        self._dropped: dict[str, int] = {}

    def enter(self, model: str) -> Ticket:
        """Take a place in ``model``'s queue, or raise ``ServerBusy`` when it is full."""
        gate = self._gates.get(model)
        if gate is None:
            gate = self._gates[model] = _Gate(self.parallel, asyncio.Semaphore(self.parallel))
        if gate.entered >= gate.parallel + self.max_queue:
            self._rejected[model] = self._rejected.get(model, 0) + 1
            retry = _retry_after(gate)
            raise ServerBusy(
                f"model '{model}' has {gate.waiting} requests waiting, the most allowed (TOLLAMA_MAX_QUEUE="
                f"{self.max_queue}); retry in {retry}s",
                headers={"Retry-After": str(retry)},
            )
        gate.entered += 1
        return Ticket(gate, model, self)

    def allow_batching(self, model: str) -> None:
        """``model``'s runner batches: widen its gate to ``batch_parallel`` (waiters go at once)."""
        gate = self._gates.get(model)
        if gate is None or gate.parallel >= self.batch_parallel:
            return
        extra = self.batch_parallel - gate.parallel
        gate.parallel = self.batch_parallel
        for _ in range(extra):
            gate.semaphore.release()

    @contextlib.asynccontextmanager
    async def slot(self, model: str, client_gone: ClientGone | None = None) -> AsyncIterator[None]:
        """``enter`` and ``turn`` in one block, for callers with nothing to do in between."""
        ticket = self.enter(model)
        try:
            async with ticket.turn(client_gone):
                yield
        finally:
            ticket.leave()

    def stats(self) -> dict[str, QueueStats]:
        return {
            model: QueueStats(
                waiting=gate.waiting,
                in_flight=gate.in_flight,
                rejected=self._rejected.get(model, 0),
                dropped=self._dropped.get(model, 0),
            )
            for model, gate in self._gates.items()
        }

    def note_dropped(self, model: str) -> None:
        self._dropped[model] = self._dropped.get(model, 0) + 1


def _retry_after(gate: _Gate) -> int:
    """Seconds until a place is likely free: the queue ahead at the recent pace."""
    estimate = gate.seconds_per_request * (gate.waiting + 1) / gate.parallel
    return max(1, min(MAX_RETRY_AFTER_SECONDS, math.ceil(estimate)))


async def _acquire(semaphore: asyncio.Semaphore, client_gone: ClientGone | None) -> bool:
    """Hold a slot and return True, or return False (holding nothing) if the client left first."""
    if client_gone is None or not semaphore.locked():
        await semaphore.acquire()
        return True
    acquiring = asyncio.ensure_future(semaphore.acquire())
    watching = asyncio.ensure_future(client_gone())
    try:
        await asyncio.wait({acquiring, watching}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        watching.cancel()
        await _abandon(semaphore, acquiring)
        raise
    watching.cancel()
    if acquiring.done():
        return True
    await _abandon(semaphore, acquiring)
    return False


async def _abandon(semaphore: asyncio.Semaphore, acquiring: asyncio.Future[bool]) -> None:
    """Cancel a pending acquire; a slot granted in the meantime is given back."""
    acquiring.cancel()
    try:
        await acquiring
    except asyncio.CancelledError:
        return
    semaphore.release()
