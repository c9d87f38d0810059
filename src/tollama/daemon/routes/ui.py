"""The web page: its static files under ``/ui``, the CSV reader it uses, and ``/`` for browsers.

Every answer under ``/ui`` carries a strict Content-Security-Policy (scripts and styles from this
origin only, no inline code, nothing fetched elsewhere). The files are public (the page asks for
the API key itself), so ``tollama.daemon.auth`` lets ``/ui`` through without one; the Host check
still applies.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from tollama.daemon.csv_input import UI_SERIES_NAME, csv_to_request
from tollama.webui import STATIC_DIR

router = APIRouter(include_in_schema=False)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
UI_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".csv": "text/csv"}


class CsvRequest(BaseModel):
    """``POST /api/ui/csv``: the CSV's text and the few settings ``tollama run --csv`` takes."""

    csv: str
    horizon: int = Field(ge=1)
    freq: str | None = None
    name: str = UI_SERIES_NAME


@router.get("/ui")
async def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=UI_HEADERS)


@router.get("/ui/{name:path}")
async def asset(name: str) -> FileResponse:
    """A file of the page; names are matched against the shipped files, never joined blindly."""
    shipped = {p.relative_to(STATIC_DIR).as_posix(): p for p in STATIC_DIR.rglob("*") if p.is_file()}
    path = shipped.get(name) or (shipped.get("index.html") if name == "" else None)
    if path is None:
        raise HTTPException(404, f"the web page has no file '{name}'; open /ui")
    media = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers=UI_HEADERS)


@router.post("/api/ui/csv")
async def read_csv(body: CsvRequest) -> dict[str, Any]:
    """The request ``tollama run --csv`` would send for this text, and the history it holds."""
    return csv_to_request(body.csv, horizon=body.horizon, freq=body.freq, name=body.name)


def browser_redirect(path: str, method: str, accept: str) -> RedirectResponse | None:
    """``GET /`` from a browser (it asks for text/html) goes to the page; other clients are left alone."""
    if path == "/" and method in ("GET", "HEAD") and "text/html" in accept:
        return RedirectResponse("/ui", status_code=307)
    return None


class BrowserRootMiddleware:
    """Sends browsers opening the daemon's address to ``/ui`` (runs inside the Host and key checks)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
            redirect = browser_redirect(scope["path"], scope["method"], accept)
            if redirect is not None:
                await redirect(scope, receive, send)
                return
        await self.app(scope, receive, send)
