"""Who may talk to the daemon: API keys, the Host check against DNS rebinding, CORS origins.

- Keys come from ``TOLLAMA_API_KEYS`` and ``config.json`` (``tollama key add``, digests only).
  When any key exists, or the daemon listens beyond loopback, every route except
  ``/``, ``/api/version`` and ``/v1/health`` needs ``Authorization: Bearer <key>``; digests are
  compared with ``hmac.compare_digest``. A non-loopback bind without a key refuses to start.
- On a loopback bind, a ``Host`` other than localhost or a loopback IP is refused (403), so a web
  page whose name was rebound to 127.0.0.1 cannot reach the daemon (Ollama's ``allowedHost``).
- CORS allows loopback and app origins by default, plus ``TOLLAMA_ORIGINS`` (Ollama's list).

Keys are never logged, echoed or shown: messages name the header and the variable, not values.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tollama.core.api_keys import key_digest, stored_digests
from tollama.core.config import is_loopback_host
from tollama.core.errors import InvalidRequest, PermissionDenied, TollamaError, Unauthorized
from tollama.daemon.errors import error_response

logger = logging.getLogger("tollama.daemon")
OPEN_PATHS = frozenset({"/", "/api/version", "/v1/health"})
# Ollama's defaults: local pages and desktop/editor app schemes, any port.
DEFAULT_ORIGIN_PATTERN = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?|(app|file|tauri|vscode-webview)://.*"


class KeyRing:
    """Digests of accepted keys: the environment's, plus config.json's re-read when it changes."""

    def __init__(self, env_keys: Sequence[str], config_file: Path) -> None:
        self._env = [key_digest(key) for key in env_keys]
        self._config_file = config_file
        self._stamp: tuple[int, int] | None = None
        self._stored: list[str] = []
        self._refresh(strict=True)

    @property
    def has_keys(self) -> bool:
        self._refresh()
        return bool(self._env or self._stored)

    def accepts(self, key: str) -> bool:
        """Constant time in the key: every digest is compared, whatever matched before."""
        self._refresh()
        digest = key_digest(key)
        matched = False
        for known in (*self._env, *self._stored):
            matched |= hmac.compare_digest(known, digest)
        return matched

    def _refresh(self, strict: bool = False) -> None:
        try:
            stat = self._config_file.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and not strict:
            return
        try:
            self._stored = stored_digests(self._config_file) if stamp else []
        except TollamaError as exc:
            if strict:
                raise
            logger.warning("keeping the API keys read before: %s", exc.message)
        self._stamp = stamp


def check_bind(host: str, keys: KeyRing) -> None:
    """Refuse to listen beyond loopback with no key to demand."""
    if not is_loopback_host(host) and not keys.has_keys:
        raise InvalidRequest(
            f"refusing to listen on {host}: an address beyond loopback needs an API key; "
            "create one with `tollama key add` or set TOLLAMA_API_KEYS (see docs/security.md)"
        )


def is_allowed_host(header: str | None) -> bool:
    """A ``Host`` header naming this machine (any port); absent only from HTTP/1.0 clients.

    An empty ``Host`` and one with userinfo (``evil.com@localhost``, which a URL parser reads
    as ``localhost``) are refused: a Host is a name and a port, nothing else.
    """
    if header is None:
        return True
    if not header.strip() or "@" in header:
        return False
    try:
        hostname = urlsplit(f"//{header}").hostname
    except ValueError:
        return False
    return bool(hostname) and is_loopback_host(hostname or "")


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def cors_options(origins: Sequence[str]) -> dict[str, Any]:
    """``CORSMiddleware`` arguments: the defaults plus ``TOLLAMA_ORIGINS`` (``*`` wildcards allowed)."""
    exact = [o for o in origins if "*" not in o or o == "*"]
    patterns = [DEFAULT_ORIGIN_PATTERN] + [re.escape(o).replace(r"\*", ".*") for o in origins if "*" in o and o != "*"]
    return {
        "allow_origins": exact,
        "allow_origin_regex": "|".join(f"(?:{p})" for p in patterns),
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": ["X-Request-Id", "Retry-After"],
    }


Scope = dict[str, Any]


class AccessMiddleware:
    """The Host check (loopback binds) and the Bearer check, before anything reads the body."""

    def __init__(self, app: Any, keys: KeyRing, loopback: bool) -> None:
        self.app = app
        self.keys = keys
        self.loopback = loopback

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> TollamaError | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.loopback and not is_allowed_host(headers.get("host")):
            return PermissionDenied(
                "this daemon listens on loopback and answers only Host: localhost, 127.0.0.1 or [::1] "
                "(a DNS-rebinding guard); to serve other names, bind another address with an API key"
            )
        if scope["path"] in OPEN_PATHS or _is_ui_file(scope["path"]) or (self.loopback and not self.keys.has_keys):
            return None
        token = bearer_token(headers.get("authorization"))
        if token is None or not self.keys.accepts(token):
            error = Unauthorized(
                "missing or wrong API key: send `Authorization: Bearer <key>` "
                "(the CLI and the Python client send TOLLAMA_API_KEY)"
            )
            error.headers["WWW-Authenticate"] = "Bearer"
            return error
        return None


def _is_ui_file(path: str) -> bool:
    """The web page's static files are public: the page asks for the key itself (its API calls need it)."""
    return path == "/ui" or path.startswith("/ui/")
