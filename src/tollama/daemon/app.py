"""``create_app``: routers, one error mapping, the middleware stack, and a lifespan that owns
the supervisor.

Middleware, outermost first: request id + access log + metrics; CORS (so preflights and
refusals carry CORS headers); Host and API-key checks; JSON bodies from allowed origins only; the
body-size limit.
Access comes before the body limit so that no unauthenticated client makes us read a body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.routing import Route

from tollama import __version__
from tollama.core.config import is_loopback_host
from tollama.daemon.auth import AccessMiddleware, KeyRing, check_bind, cors_options
from tollama.daemon.body_budget import BodyBudget
from tollama.daemon.docs import API_DESCRIPTION, install_docs
from tollama.daemon.errors import install_error_handlers
from tollama.daemon.limits import BodyLimitMiddleware
from tollama.daemon.mcp_http import McpEndpoint
from tollama.daemon.middleware import JsonBodyMiddleware
from tollama.daemon.observability import DaemonMetrics, ObservabilityMiddleware
from tollama.daemon.openapi import install_openapi
from tollama.daemon.routes import create, evaluate, forecast, lifecycle, models, runtimes, system, ui
from tollama.daemon.services import Services
from tollama.daemon.settings import DaemonSettings
from tollama.daemon.supervisor import SpawnFn


def create_app(settings: DaemonSettings | None = None, spawn: SpawnFn | None = None) -> FastAPI:
    """Build the app; refuses (``InvalidRequest``) a non-loopback bind with no API key."""
    settings = settings or DaemonSettings.from_env()
    keys = KeyRing(settings.api_keys, settings.paths.config_file)
    settings.config()  # a broken config.json is one clear error at start-up, not 400s later
    check_bind(settings.host, keys)
    metrics = DaemonMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.build(settings, spawn, metrics)
        app.state.services = services
        try:
            async with mcp.running():
                yield
        finally:
            await services.close()

    app = FastAPI(
        title="tollama",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    mcp = McpEndpoint(app, settings)
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    # add_middleware wraps: the last added is the outermost.
    cors = cors_options(settings.origins)
    app.add_middleware(ui.BrowserRootMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.limits.max_request_bytes,
        budget=BodyBudget(settings.max_body_bytes_in_flight),
        body_timeout=settings.body_timeout,
    )
    app.add_middleware(JsonBodyMiddleware, origin_allowed=CORSMiddleware(app, **cors).is_allowed_origin)
    app.add_middleware(AccessMiddleware, keys=keys, loopback=is_loopback_host(settings.host))
    app.add_middleware(CORSMiddleware, **cors)
    routers = [module.router for module in (system, lifecycle, models, forecast, runtimes, evaluate, create, ui)]
    known_paths = frozenset(
        [route.path for router in routers for route in router.routes if isinstance(route, APIRoute)]
        + [route.path for route in app.routes if isinstance(route, Route)]
    )
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, known_paths=known_paths)
    for router in routers:
        app.include_router(router)
    return app
