"""``create_app``: routers, one error mapping, and a lifespan that owns the supervisor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tollama import __version__
from tollama.daemon.errors import install_error_handlers
from tollama.daemon.middleware import JsonBodyMiddleware
from tollama.daemon.routes import forecast, models, runtimes, system
from tollama.daemon.services import Services
from tollama.daemon.settings import DaemonSettings
from tollama.daemon.supervisor import SpawnFn


def create_app(settings: DaemonSettings | None = None, spawn: SpawnFn | None = None) -> FastAPI:
    settings = settings or DaemonSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.build(settings, spawn)
        app.state.services = services
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(title="tollama", version=__version__, lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(JsonBodyMiddleware)
    for module in (system, models, forecast, runtimes):
        app.include_router(module.router)
    return app
