"""``/docs`` (Swagger UI) and ``/redoc`` served from installed files, so they work offline.

FastAPI's own pages load their JavaScript from a CDN, which a local-first daemon on an
air-gapped machine cannot reach (the page stays blank). The ``fastapi-offline`` package ships
Swagger UI 5 and ReDoc; we serve its static folder and point FastAPI's page builders at it.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_URL = "/docs-static"
STATIC_DIR = Path(fastapi_offline.__file__).parent / "static"
API_DESCRIPTION = """\
Local-first forecasting with time-series foundation models, in Ollama's shape.

Install a model with `POST /api/pull`, forecast with `POST /api/forecast` (NDJSON progress by
default; `"stream": false` for one JSON answer) or `POST /v1/forecast` (never streams). Errors
are `{"error": "<one line>"}` with the status of their kind. When API keys are configured, send
`Authorization: Bearer <key>` (`/`, `/api/version` and `/v1/health` need none).
"""


def install_docs(app: FastAPI) -> None:
    """``/docs``, its OAuth2 redirect and ``/redoc``, none of which fetch anything from the internet."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="docs-static")
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
