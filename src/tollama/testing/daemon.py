"""Start a real ``tollamad`` process on a free loopback port with its own ``TOLLAMA_HOME``."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from tollama.daemon.memory_return import one_heap_env

STARTUP_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DaemonProcess:
    """``with DaemonProcess(home) as d: httpx.get(d.base_url + "/api/version")``.

    The daemon is stopped with SIGTERM on exit (SIGKILL after a grace period), and its log is
    kept at ``home/daemon-test.log`` for failing tests to show.
    """

    def __init__(self, home: Path, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.home = home
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "daemon-test.log"
        self.env = {
            **os.environ,
            **one_heap_env(),  # as `tollama` starts it (no re-exec for the allocator setting)
            "TOLLAMA_HOME": str(home),
            "TOLLAMA_HOST": f"127.0.0.1:{self.port}",
            "TOLLAMA_BASE_URL": self.base_url,
            "TOLLAMA_NO_AUTOSTART": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> DaemonProcess:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tollama.daemon.serve"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daemon exited at start-up:\n{self.log()}")
            try:
                httpx.get(f"{self.base_url}/api/version", timeout=1.0, trust_env=False)
                return
            except httpx.TransportError:
                time.sleep(0.05)  # readiness poll of a process we just started
        self.stop()
        raise RuntimeError(f"daemon did not answer within {STARTUP_TIMEOUT_SECONDS}s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli_env(self) -> dict[str, str]:
        """Environment for running the ``tollama`` CLI against this daemon."""
        return dict(self.env)


def run_cli(
    *args: str, env: dict[str, str] | None = None, input_text: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``tollama`` CLI in a subprocess (exit codes and streams as a user sees them)."""
    return subprocess.run(
        [sys.executable, "-m", "tollama.cli.main", *args],
        env={**os.environ, **(env or {})},
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


AUTOSTARTED_STOP_TIMEOUT_SECONDS = 30


def stop_autostarted_daemon(home: Path) -> None:
    """SIGTERM the daemon ``tollama run`` started for ``home`` (its pid is in its log) and wait for it."""
    log = home / "logs" / "daemon.log"
    found = re.search(r"Started server process \[(\d+)\]", log.read_text()) if log.exists() else None
    if found is None:
        return
    pid = int(found.group(1))
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (FileNotFoundError, PermissionError):
        return  # already gone
    if b"tollama.daemon.serve" not in cmdline or f"TOLLAMA_HOME={home}".encode() not in environ:
        return  # the pid was reused by someone else's process: leave it alone
    handle = os.pidfd_open(pid)  # readable once the process has exited, child of ours or not
    try:
        os.kill(pid, signal.SIGTERM)
        ready, _, _ = select.select([handle], [], [], AUTOSTARTED_STOP_TIMEOUT_SECONDS)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            select.select([handle], [], [], AUTOSTARTED_STOP_TIMEOUT_SECONDS)
    finally:
        os.close(handle)
