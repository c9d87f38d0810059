"""``tollamad`` / ``tollama serve``: run the daemon with uvicorn until SIGINT/SIGTERM.

On SIGTERM uvicorn stops accepting connections and waits for the ones in flight. We bound that
wait: when ``TOLLAMA_SHUTDOWN_GRACE_SECONDS`` run out, runners are killed, so every request
still running or queued is answered 503 (naming the shutdown) instead of being cut off; then
the lifespan stops what is left. uvicorn's own deadline stays a few seconds later, as a net.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import sys

import uvicorn
from fastapi import FastAPI

from tollama.core.errors import TollamaError
from tollama.daemon.app import create_app
from tollama.daemon.memory_return import exec_with_one_heap
from tollama.daemon.routes.lifecycle import STOP_SERVER_STATE
from tollama.daemon.settings import DaemonSettings
from tollama.daemon.slow_clients import with_limits

logger = logging.getLogger("tollama.daemon")
UVICORN_EXTRA_GRACE_SECONDS = 5.0


class DrainingServer(uvicorn.Server):
    """uvicorn with a bounded drain that answers what it cannot finish."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, grace: float) -> None:
        super().__init__(config)
        self.app = app
        self.grace = grace

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        drain = asyncio.create_task(self._stop_runners_after_grace())
        try:
            await super().shutdown(sockets)
        finally:
            drain.cancel()

    async def _stop_runners_after_grace(self) -> None:
        await asyncio.sleep(self.grace)
        services = getattr(self.app.state, "services", None)
        if services is not None:
            logger.warning("shutdown grace of %gs is over: stopping runners with requests in flight", self.grace)
            reason = f"was stopped because the daemon is shutting down (drain grace {self.grace:g}s is over)"
            with contextlib.suppress(Exception):
                await services.supervisor.close(reason)


def run(settings: DaemonSettings | None = None) -> None:
    settings = settings or DaemonSettings.from_env()
    settings.paths.home.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(settings)
    # Everything imported so far lives as long as the process: take it out of the collector's
    # sight, so a full collection triggered by a large request scans only what requests made.
    gc.freeze()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,  # tollama.access writes one structured line per request instead
        timeout_graceful_shutdown=int(settings.shutdown_grace + UVICORN_EXTRA_GRACE_SECONDS),
        http=with_limits(settings.header_timeout, settings.max_connections),
    )
    server = DrainingServer(config, app, settings.shutdown_grace)
    setattr(app.state, STOP_SERVER_STATE, lambda: setattr(server, "should_exit", True))  # POST /api/shutdown
    server.run()


def main() -> None:
    exec_with_one_heap()
    try:
        run()
    except TollamaError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None


if __name__ == "__main__":
    main()
