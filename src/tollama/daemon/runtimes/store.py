"""Runtimes on disk: where each family's venv lives, its marker, and the build folders.

    <runtimes>/<family>/venv/                      the runtime; exists only when complete
    <runtimes>/<family>/venv/tollama-runtime.json  its marker (written before the rename)
    <runtimes>/<family>/.build-<id>/               a build in progress (venv/ + constraints.txt)
    <runtimes>/<family>/.old-<id>/                 a replaced runtime being deleted
    <runtimes>/.locks/<family>.lock                one builder at a time, across processes

A build happens in ``.build-*`` and is renamed to ``venv`` when complete, so a killed or failed
build never looks like a runtime. Leftover ``.build-*`` / ``.old-*`` folders are removed by the
next build of the family (under its lock, so never while another process is using them).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path

from pydantic import BaseModel, ValidationError

from tollama.core.files import atomic_write_text

MARKER_NAME = "tollama-runtime.json"
_BUILD_PREFIX = ".build-"
_OLD_PREFIX = ".old-"


class RuntimeMarker(BaseModel):
    """What a runtime was built from; a mismatch with the daemon's expectation rebuilds it."""

    family: str
    tollama_version: str
    python_version: str
    requirements_hash: str
    extra: str | None = None
    source: str = ""
    installer: str = ""
    steps: list[list[str]] = []
    pins: list[str] = []
    packages: dict[str, str] = {}
    size_bytes: int = 0
    created_at: str = ""


class RuntimeStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def family_dir(self, family: str) -> Path:
        return self.root / family

    def venv(self, family: str) -> Path:
        return self.family_dir(family) / "venv"

    def python(self, family: str) -> Path:
        return python_of(self.venv(family))

    def marker_path(self, family: str) -> Path:
        return self.venv(family) / MARKER_NAME

    def lock_path(self, family: str) -> Path:
        return self.root / ".locks" / f"{family}.lock"

    def read_marker(self, family: str) -> RuntimeMarker | None:
        """The marker of a complete runtime, or None (missing, unreadable, or no interpreter)."""
        try:
            data = json.loads(self.marker_path(family).read_text(encoding="utf-8"))
            marker = RuntimeMarker.model_validate(data)
        except (OSError, ValueError, ValidationError):
            return None
        return marker if self.python(family).exists() else None

    def stamp(self, family: str) -> str:
        """Changes whenever the runtime is rebuilt or removed (the marker's inode and mtime)."""
        try:
            st = self.marker_path(family).stat()
        except OSError:
            return "none"
        return f"{st.st_ino}:{st.st_mtime_ns}"

    def new_build_dir(self, family: str) -> Path:
        path = self.family_dir(family) / f"{_BUILD_PREFIX}{secrets.token_hex(4)}"
        path.mkdir(parents=True)
        return path

    def clean_leftovers(self, family: str) -> list[Path]:
        """Remove builds and old runtimes a killed process left behind; call under the lock."""
        folder = self.family_dir(family)
        leftovers = [p for p in folder.glob(".*") if p.name.startswith((_BUILD_PREFIX, _OLD_PREFIX))]
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)
        return leftovers

    def install(self, family: str, built_venv: Path, marker: RuntimeMarker) -> None:
        """Write the marker into the built venv, then swap it in place of the current one."""
        atomic_write_text(built_venv / MARKER_NAME, marker.model_dump_json(indent=2) + "\n")
        target = self.venv(family)
        old = None
        if target.exists():
            old = self.family_dir(family) / f"{_OLD_PREFIX}{secrets.token_hex(4)}"
            os.rename(target, old)
        os.rename(built_venv, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def remove(self, family: str) -> bool:
        """Delete the family's runtime (marker first: a crash half-way leaves no runtime)."""
        folder = self.family_dir(family)
        existed = self.venv(family).exists()
        self.marker_path(family).unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        return existed


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def disk_usage(path: Path) -> int:
    """Bytes on disk under ``path``, counting hard-linked files once (uv links from its cache)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += getattr(st, "st_blocks", 0) * 512 or st.st_size
    return total
