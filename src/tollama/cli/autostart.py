"""``tollama run`` conveniences: start a local daemon, pull a missing model (as ``ollama run``).

Only ``run`` uses these, and never for a non-loopback base URL.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

from tollama.client import Client
from tollama.core.config import Paths, env_is_set
from tollama.core.errors import DaemonUnreachable
from tollama.daemon.memory_return import one_heap_env

STARTUP_TIMEOUT_SECONDS = 30.0


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def autostart_disabled() -> bool:
    return env_is_set("TOLLAMA_NO_AUTOSTART") and os.environ["TOLLAMA_NO_AUTOSTART"] not in ("0", "false")


def start_daemon(client: Client) -> str:
    """Start ``tollamad`` in the background on the client's address; return its log path."""
    parts = urlsplit(client.base_url)
    if not is_loopback_url(client.base_url):
        raise DaemonUnreachable(f"no daemon at {client.base_url}, and tollama only auto-starts on loopback")
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    port = parts.port or 11435
    paths = Paths.from_env()
    paths.logs.mkdir(parents=True, exist_ok=True)
    log_path = paths.logs / "daemon.log"
    environment = {**os.environ, **one_heap_env(), "TOLLAMA_HOST": f"{host}:{port}"}
    with open(log_path, "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "tollama.daemon.serve"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=environment,
            start_new_session=True,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            client.version()
            return str(log_path)
        except DaemonUnreachable:
            time.sleep(0.2)  # readiness poll of a process we just started
    raise DaemonUnreachable(f"started a daemon at {client.base_url} but it did not answer; see {log_path}")
