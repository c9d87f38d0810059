"""Pull a model whose weights ship inside a pinned Python package (``source.type: package``).

There is nothing to download: the family's runtime installs the package (``fracast==0.1.0``
carries Fracast-0), so a pull builds that runtime, with the same progress lines as a first
forecast's build, then finds the package in the interpreter the family's runner will use,
checks its version against the registry pin and records the sha256 of each file the runner
loads. The runner refuses to load files whose digests differ. No hub is ever contacted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tollama.core.errors import RunnerUnavailable
from tollama.core.schemas import ModelSpec, ResolvedSnapshot
from tollama.daemon.runtimes.manager import PrepareRuntime

PROBE_TIMEOUT_SECONDS = 60.0
# Runs in the runner's interpreter: where the package is and which version, without importing it
# (importing fracast imports torch: seconds for nothing).
_PROBE = """
import importlib.metadata as m, importlib.util as u, json, sys
spec = u.find_spec(sys.argv[1])
found = spec is not None and spec.submodule_search_locations
print(json.dumps({"path": list(spec.submodule_search_locations)[0] if found else None,
                  "version": m.version(sys.argv[1]) if found else None}))
"""


@dataclass(frozen=True)
class PackageWeights:
    """What a package pull resolved: the folder, the version found, each file's digest, total bytes."""

    resolved: ResolvedSnapshot
    size_bytes: int


class PackagePull:
    """Builds the family's runtime if needed, then locates and hashes the package's weight files."""

    def __init__(self, prepare: PrepareRuntime | None, python_for: Callable[[str], str]) -> None:
        self._prepare = prepare
        self._python_for = python_for
        self.result: PackageWeights | None = None

    async def events(self, spec: ModelSpec) -> AsyncIterator[dict[str, Any]]:
        if self._prepare is not None:
            async for event in self._prepare(spec.family):
                yield event
        yield {"status": f"verifying {spec.source.package}=={spec.source.version} weights"}
        folder, version = await _locate(spec, self._python_for(spec.family))
        digests, size = await asyncio.to_thread(_hash_files, spec, folder)
        resolved = ResolvedSnapshot(snapshot_path=str(folder), package_version=version, sha256=digests)
        self.result = PackageWeights(resolved, size)


async def _locate(spec: ModelSpec, python: str) -> tuple[Path, str]:
    """The package's weights folder in ``python``'s environment, and the version installed there."""
    package = str(spec.source.package)
    install = (
        f'install it with `pip install "tollama[runner_{spec.family}]"`, or let tollama build the '
        f"family's runtime (`tollama config set daemon.auto_bootstrap true`)"
    )
    try:
        proc = await asyncio.create_subprocess_exec(
            python, "-c", _PROBE, package, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), PROBE_TIMEOUT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise RunnerUnavailable(f"cannot look for {package} with {python} ({exc or 'no answer'}); {install}") from None
    try:
        found = json.loads(out)
    except ValueError:
        tail = (err.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise RunnerUnavailable(f"cannot look for {package} with {python} ({tail}); {install}") from None
    if not found.get("path"):
        raise RunnerUnavailable(f"model '{spec.name}' needs the {package} package, which {python} lacks; {install}")
    if spec.source.version and found["version"] != spec.source.version:
        raise RunnerUnavailable(
            f"model '{spec.name}' needs {package}=={spec.source.version} but {python} has {found['version']}; {install}"
        )
    return Path(found["path"]) / "weights", str(found["version"])


def _hash_files(spec: ModelSpec, folder: Path) -> tuple[dict[str, str], int]:
    digests: dict[str, str] = {}
    size = 0
    for name in spec.source.allow_patterns or []:
        path = folder / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RunnerUnavailable(
                f"model '{spec.name}': {spec.source.package} has no weight file {path} ({exc.strerror}); "
                f"reinstall its runtime with `tollama runtime install {spec.family} --force`"
            ) from None
        digests[name] = hashlib.sha256(data).hexdigest()
        size += len(data)
    return digests, size
