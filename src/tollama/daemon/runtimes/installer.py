"""The tool that builds runtimes: ``uv`` when available, else ``venv`` + ``pip``.

uv is much faster but does not read pip's configuration, so the user's pip settings (index,
extra indexes, find-links, constraints, trusted hosts, certificate, proxy: pip.conf files and
``PIP_*`` variables, as ``pip config list`` reports them) are passed to uv as flags. pip reads
them itself. An installer run streams its output to a log and keeps the last lines for errors.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tollama.core.errors import InvalidRequest
from tollama.core.redaction import redact_url

ERROR_TAIL_LINES = 8
_PR_SET_PDEATHSIG = 1
# Resolved in the parent: a forked child must not look symbols up (see _die_with_parent).
_PRCTL = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None) if sys.platform == "linux" else None
_SPLIT_KEYS = {
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "-c",
    "trusted-host": "--allow-insecure-host",
    "only-binary": "--only-binary",
    "no-binary": "--no-binary",
}


class InstallerFailed(Exception):
    """An installer run exited non-zero; ``tail`` holds its last output lines."""

    def __init__(self, exit_code: int, tail: list[str]) -> None:
        super().__init__(f"exit code {exit_code}")
        self.exit_code = exit_code
        self.tail = tail


@dataclass(frozen=True)
class Installer:
    """``name`` is ``uv`` or ``pip``; ``index_args``/``env`` carry pip's settings to uv."""

    name: str
    executable: str
    version: str
    index_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()

    def venv_command(self, target: Path, base_python: str) -> list[str]:
        if self.name == "uv":
            return [self.executable, "venv", "--quiet", "--relocatable", "--python", base_python, str(target)]
        return [base_python, "-m", "venv", str(target)]

    def install_command(self, python: Path, args: Sequence[str], constraints: Path | None) -> list[str]:
        pins = ["-c", str(constraints)] if constraints else []
        if self.name == "uv":
            return [
                self.executable, "pip", "install", "--no-progress", "--color", "never",
                "--python", str(python), *self.index_args, *pins, *args,
            ]  # fmt: skip
        return [str(python), "-m", "pip", "install", "--no-input", "--progress-bar", "off", *pins, *args]


def find_uv() -> str | None:
    """The ``uv`` binary: from the ``uv`` Python package if installed, else on PATH."""
    try:
        import uv  # type: ignore[import-not-found]

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def choose_installer(preference: str, base_python: str = sys.executable) -> Installer:
    """``auto``: uv when found, else pip; ``uv`` insists on uv."""
    uv = find_uv() if preference in ("auto", "uv") else None
    if preference == "uv" and uv is None:
        raise InvalidRequest("TOLLAMA_RUNTIME_INSTALLER=uv but uv is not installed; `pip install uv` or unset it")
    if uv is not None:
        args, env = uv_settings_from_pip(read_pip_config(base_python))
        return Installer("uv", uv, _version([uv, "--version"]), tuple(args), env)
    return Installer("pip", base_python, _version([base_python, "-m", "pip", "--version"]))


def read_pip_config(python: str) -> dict[str, str]:
    """pip's effective settings (files and ``PIP_*``), keyed without section; env wins."""
    try:
        out = subprocess.run(
            [python, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    ranked: dict[str, tuple[int, str]] = {}
    rank = {"global": 0, "install": 1, ":env:": 2}
    for line in out.splitlines():
        name, sep, value = line.partition("=")
        section, _, key = name.rpartition(".")
        if not sep or section not in rank:
            continue
        value = value.strip().strip("'\"")
        if key not in ranked or rank[section] >= ranked[key][0]:
            ranked[key] = (rank[section], value)
    return {key: value for key, (_, value) in ranked.items()}


def uv_settings_from_pip(config: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """uv flags and environment equivalent to pip's settings."""
    args: list[str] = []
    env: dict[str, str] = {}
    if config.get("index-url"):
        args += ["--index-url", config["index-url"]]
    for key, flag in _SPLIT_KEYS.items():
        for value in config.get(key, "").split():
            args += [flag, value]
    if _is_true(config.get("no-index")):
        args.append("--no-index")
    if _is_true(config.get("pre")):
        args += ["--prerelease", "allow"]
    if config.get("extra-index-url"):
        args += ["--index-strategy", "unsafe-best-match"]  # pip picks the best version across indexes
    if config.get("cert"):
        env["SSL_CERT_FILE"] = config["cert"]
    if config.get("proxy"):
        env["HTTPS_PROXY"] = env["HTTP_PROXY"] = config["proxy"]
    timeout = config.get("timeout") or config.get("default-timeout")
    if timeout:
        env["UV_HTTP_TIMEOUT"] = timeout
    return args, env


async def run_logged(command: Sequence[str], log_path: Path, env: dict[str, str] | None = None) -> None:
    """Run one installer command, appending its output to ``log_path``; raise InstallerFailed."""
    tail: collections.deque[str] = collections.deque(maxlen=ERROR_TAIL_LINES)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        assert proc.stdout is not None
        with log_path.open("ab") as log:
            log.write(("$ " + " ".join(redact_url(arg) for arg in command) + "\n").encode())
            while line := await proc.stdout.readline():
                log.write(line)
                text = line.decode("utf-8", "replace").rstrip()
                if text.strip():
                    tail.append(text.strip())
        code = await proc.wait()
    finally:
        if proc.returncode is None:  # cancelled (daemon shutting down): take the whole group down
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    if code != 0:
        raise InstallerFailed(code, list(tail))


def _die_with_parent() -> None:
    """Linux: the installer is killed when the daemon dies, so a killed bootstrap stops too."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _version(command: list[str]) -> str:
    """``uv 0.13.8 (...)`` / ``pip 24.0 from ...`` → the version word."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    words = out.split()
    return words[1] if len(words) > 1 else ""


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
