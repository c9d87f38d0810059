"""Crash-loop backoff for runner start-ups (after systemd's restart limits and Kubernetes'
CrashLoopBackOff): a family whose runner keeps failing to start is not spawned again on every
request; for a doubling pause, requests fail at once with the last failure's message.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from tollama.core.errors import RunnerUnavailable

FIRST_PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 60.0


@dataclass
class _Failures:
    count: int
    last_message: str
    retry_at: float


class StartBackoff:
    """Per family: consecutive start failures and when the next start is allowed."""

    def __init__(
        self,
        first: float = FIRST_PAUSE_SECONDS,
        cap: float = MAX_PAUSE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first = first
        self.cap = cap
        self._clock = clock
        self._failures: dict[str, _Failures] = {}
        self.total_failures: dict[str, int] = {}

    def check(self, family: str) -> None:
        """Raise ``RunnerUnavailable`` (with ``Retry-After``) while ``family`` is paused."""
        failures = self._failures.get(family)
        if failures is None:
            return
        wait = failures.retry_at - self._clock()
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RunnerUnavailable(
                f"the {family} runner failed to start {failures.count} times in a row; next try in {seconds}s "
                f"(last failure: {failures.last_message})",
                headers={"Retry-After": str(seconds)},
            )

    def failed(self, family: str, message: str) -> None:
        previous = self._failures.get(family)
        count = previous.count + 1 if previous else 1
        pause = min(self.cap, self.first * 2 ** (count - 1))
        self._failures[family] = _Failures(count, message, self._clock() + pause)
        self.total_failures[family] = self.total_failures.get(family, 0) + 1

    def failing(self) -> dict[str, str]:
        """Families whose last start failed, with that failure's message."""
        return {family: f.last_message for family, f in self._failures.items()}

    def succeeded(self, family: str) -> None:
        self._failures.pop(family, None)
