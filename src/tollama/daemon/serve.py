"""``tollamad`` / ``tollama serve``: run the daemon with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import logging

import uvicorn

from tollama.daemon.app import create_app
from tollama.daemon.settings import DaemonSettings


def run(settings: DaemonSettings | None = None) -> None:
    settings = settings or DaemonSettings.from_env()
    settings.paths.home.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=10,
    )


def main() -> None:
    run()


if __name__ == "__main__":
    main()
