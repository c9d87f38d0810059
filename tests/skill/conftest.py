"""Fixtures for the OpenClaw skill: its scripts run under a PATH holding only what a transport needs.

``tollama`` transport: bash and the real ``tollama`` console script (no curl). ``curl`` transport:
bash and curl alone (no tollama, no coreutils, no python), which forces the curl fallback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKILL_DIR = ROOT / "skills" / "tollama-forecast"
BIN = SKILL_DIR / "bin"
EXAMPLES = SKILL_DIR / "examples"
TRANSPORTS = ("tollama", "curl")
SERIES_REQUEST = {"horizon": 2, "series": [{"id": "s", "target": [1.0, 2.0, 3.0]}]}


@dataclass
class SkillResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        """stdout must be exactly one JSON object."""
        data = json.loads(self.stdout)
        assert isinstance(data, dict), self.stdout
        return data


@dataclass
class Skill:
    """Runs the skill's scripts the way an agent does, with a PATH of one transport's tools."""

    transport: str
    path_dir: Path
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self,
        script: str,
        *args: str,
        input_text: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> SkillResult:
        environment = {"PATH": str(self.path_dir), "TOLLAMA_HOME": str(self.home), **self.env, **(env or {})}
        done = subprocess.run(
            [str(self.path_dir / "bash"), str(BIN / f"tollama-{script}.sh"), *args],
            env=environment,
            input=input_text if input_text is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return SkillResult(done.returncode, done.stdout, done.stderr)


def transport_path(transport: str, directory: Path) -> Path:
    """A directory holding links to bash plus the transport's one tool, and nothing else."""
    directory.mkdir(parents=True, exist_ok=True)
    tools = {"bash": shutil.which("bash")}
    if transport == "curl":
        tools["curl"] = shutil.which("curl")
    else:
        tollama = Path(sys.executable).parent / "tollama"
        assert tollama.exists(), f"the tollama console script is missing at {tollama}; pip install -e ."
        tools["tollama"] = str(tollama)
    for name, target in tools.items():
        if target is None:
            pytest.skip(f"{name} is not installed on this machine")
        (directory / name).symlink_to(target)
    return directory


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def skill(transport: str, tmp_path: Path, tollama_home: Path) -> Skill:
    """The skill with no daemon configured (tests pass --base-url or TOLLAMA_BASE_URL)."""
    return Skill(transport, transport_path(transport, tmp_path / f"path-{transport}"), tollama_home)


@pytest.fixture
def curl_skill(tmp_path: Path, tollama_home: Path) -> Skill:
    return Skill("curl", transport_path("curl", tmp_path / "path-curl"), tollama_home)


@dataclass
class FakeDaemon:
    """A stdlib HTTP server on 127.0.0.1 answering canned ``(status, body)`` per ``METHOD /path``."""

    routes: dict[str, tuple[int, dict[str, Any]]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""


@pytest.fixture
def fake_daemon() -> Iterator[FakeDaemon]:
    fake = FakeDaemon(routes={})

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            fake.requests.append(
                {
                    "route": f"{self.command} {self.path}",
                    "body": json.loads(raw) if raw else None,
                    "authorization": self.headers.get("Authorization"),
                }
            )
            status, body = fake.routes.get(f"{self.command} {self.path}", (404, {"detail": "Not Found"}))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
