"""The daemon's forecast path inside another process: what a Ray actor holds on its node.

Not a copy of the daemon: the same ``Services`` a daemon builds (model store, supervisor,
runtime bootstrap, ``ForecastService``) minus HTTP, so a request goes through the very
``ForecastService.forecast`` that serves ``/api/forecast`` — validation, capability fitting,
timestamps, quantile order and warnings included — and the runner it starts stays warm between
chunks. The supervisor is asyncio code; it runs on a private event loop in a thread, so callers
(Ray's ``map_batches`` workers) stay synchronous.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from tollama.core.errors import ModelNotFound
from tollama.core.schemas import ForecastRequest, PullRequest
from tollama.daemon.services import Services
from tollama.daemon.settings import DaemonSettings

T = TypeVar("T")
KEEP_LOADED = -1.0  # the actor lives as long as the job: its model never expires in between


class EmbeddedDaemon:
    """``forecast(body) -> response dict``, as ``POST /api/forecast`` with ``"stream": false``."""

    def __init__(self, settings: DaemonSettings | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tollama-embedded", daemon=True)
        self._thread.start()
        settings = settings or DaemonSettings.from_env()
        self.services: Services = self._run(self._build(settings))

    @staticmethod
    async def _build(settings: DaemonSettings) -> Services:
        return Services.build(settings)  # inside the loop: its locks and tasks belong to it

    def ensure_model(self, name: str) -> None:
        """Install ``name`` in this node's store if missing, as ``tollama pull`` would (licences still apply)."""
        try:
            self.services.store.get(name)
        except ModelNotFound:
            self._run(self.services.pulls.pull(PullRequest(model=name)))

    def forecast(self, body: dict[str, Any]) -> dict[str, Any]:
        request = ForecastRequest.model_validate(body)
        return self._run(self.services.forecasts.forecast(request, keep_alive=KEEP_LOADED))

    def close(self) -> None:
        """Stop the runners (no orphans) and the loop."""
        if not self._loop.is_running():
            return
        try:
            self._run(self.services.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()
