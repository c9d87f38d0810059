"""Helpers for runtime tests: a real daemon building the light ``mock`` family's runtime."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import threading
import zipfile
from pathlib import Path
from typing import Any

import httpx

from tollama.testing.daemon import DaemonProcess, run_cli

MOCK_REQUEST = {"model": "mock", "horizon": 2, "series": [{"id": "a", "target": [1.0, 2.0]}]}
BLOCKER = "tollama-test-blocker"


def family_dir(home: Path) -> Path:
    return home / "runtimes" / "mock"


def venv_python(home: Path) -> Path:
    return family_dir(home) / "venv" / "bin" / "python"


def marker_path(home: Path) -> Path:
    return family_dir(home) / "venv" / "tollama-runtime.json"


def read_marker(home: Path) -> dict[str, Any]:
    return json.loads(marker_path(home).read_text())


def cli(daemon: DaemonProcess, *args: str):
    return run_cli(*args, env=daemon.cli_env(), timeout=300)


def install_mock(daemon: DaemonProcess) -> None:
    done = cli(daemon, "runtime", "install", "mock")
    assert done.returncode == 0, done.stderr
    pulled = cli(daemon, "pull", "mock")
    assert pulled.returncode == 0, pulled.stderr


def runner_info(daemon: DaemonProcess, family: str = "mock") -> dict[str, Any]:
    info = httpx.get(f"{daemon.base_url}/api/info", timeout=30, trust_env=False).json()
    return next(r for r in info["runners"] if r["family"] == family)


def forecast_lines(daemon: DaemonProcess, request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every NDJSON line of a streamed forecast."""
    body = {**(request or MOCK_REQUEST), "stream": True}
    with httpx.stream("POST", f"{daemon.base_url}/api/forecast", json=body, timeout=300, trust_env=False) as r:
        return [json.loads(line) for line in r.iter_lines() if line.strip()]


def builds_logged(daemon: DaemonProcess) -> int:
    """Builds this daemon started (``forget_log`` before a second daemon in the same home)."""
    return daemon.log().count("building the mock runtime")


def forget_log(home: Path) -> None:
    (home / "daemon-test.log").unlink(missing_ok=True)


def _wheel(name: str, version: str) -> tuple[str, bytes]:
    """A minimal pure-Python wheel, so an install step has something real to fetch."""
    module = name.replace("-", "_")
    files = {
        f"{module}/__init__.py": b"",
        f"{module}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{module}-{version}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record_name = f"{module}-{version}.dist-info/RECORD"
    lines = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(data)}")
    files[record_name] = ("\n".join([*lines, f"{record_name},,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return f"{module}-{version}-py3-none-any.whl", buffer.getvalue()


class BlockingWheelServer:
    """Serves one wheel on 127.0.0.1, holding each download until the test calls ``release``.

    ``requested`` is set when the installer asks for the wheel: the build is then, for certain,
    half-way (venv made, tollama installed, this step running).
    """

    def __init__(self) -> None:
        filename, data = _wheel(BLOCKER, "1.0")
        self.requested = threading.Event()
        self._release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                server.requested.set()
                server._release.wait(120)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()

            def do_GET(self) -> None:
                self.do_HEAD()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return None

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/{filename}"
        self.requirement = f"{BLOCKER} @ {self.url}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self.release()
        self._httpd.shutdown()
        self._httpd.server_close()


def extra_steps(*requirements: str) -> dict[str, str]:
    return {"TOLLAMA_RUNTIME_EXTRA_STEPS": json.dumps({"mock": [[r] for r in requirements]})}
