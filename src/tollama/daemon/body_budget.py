"""A bound on the request-body bytes the daemon holds at once (``TOLLAMA_MAX_BODY_BYTES_IN_FLIGHT``).

One 64 MiB forecast body becomes about ten times that in memory while it is parsed and
validated; four at once peaked at 3.1 GB. Each request's body bytes are reserved here as they
arrive and released when its response ends (the parsed request lives that long). A request
that does not fit waits for others to finish, up to ``wait_seconds``, then gets a 503 with
``Retry-After``. A body larger than the whole budget may still run, alone.
"""

from __future__ import annotations

import asyncio

from tollama.core.errors import ServerBusy

DEFAULT_MAX_BODY_BYTES_IN_FLIGHT = 128 * 1024 * 1024
WAIT_SECONDS = 30.0
RETRY_AFTER_SECONDS = "2"


class BodyBudget:
    """Bytes reserved by requests in flight; ``reserve`` waits for room or raises ``ServerBusy``."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BODY_BYTES_IN_FLIGHT, wait_seconds: float = WAIT_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.wait_seconds = wait_seconds
        self.in_use = 0
        self._freed = asyncio.Condition()

    async def reserve(self, size: int) -> None:
        """Take ``size`` more bytes for the caller (who already holds what it reserved before)."""
        if size <= 0:
            return
        async with self._freed:
            try:
                async with asyncio.timeout(self.wait_seconds):
                    await self._freed.wait_for(lambda: self.in_use == 0 or self.in_use + size <= self.max_bytes)
            except TimeoutError:
                raise ServerBusy(
                    f"the daemon is reading {self.in_use} bytes of other requests (TOLLAMA_MAX_BODY_BYTES_IN_FLIGHT="
                    f"{self.max_bytes}); retry shortly",
                    headers={"Retry-After": RETRY_AFTER_SECONDS},
                ) from None
            self.in_use += size

    async def release(self, size: int) -> None:
        if size <= 0:
            return
        async with self._freed:
            self.in_use -= size
            self._freed.notify_all()
