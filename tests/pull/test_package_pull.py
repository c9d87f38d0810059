"""Pulls of models whose weights ship in a Python package (``source.type: package``), without a runtime.

A fake ``fracast`` distribution on a ``PYTHONPATH`` stands in for the family's runtime: the pull
must find it through the runner's interpreter, check its version against the registry pin, hash
exactly the files the registry lists, and refuse clearly when the package, the version or a file
is not there.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

import pytest

from tollama.core.errors import RunnerUnavailable
from tollama.core.registry import get_spec
from tollama.daemon.package_pull import PackagePull

FILES = {
    "config.json": b'{"model": {}}',
    "model.int8.safetensors": b"int8 weights",
    "w8_manifest.json": b"{}",
    "model.safetensors": b"fp32 weights",
}


def fake_python(tmp_path: Path, version: str = "0.1.0", files: dict[str, bytes] = FILES) -> str:
    """An interpreter that sees a ``fracast`` distribution of ``version`` holding ``files``."""
    site = tmp_path / "site"
    weights = site / "fracast" / "weights"
    weights.mkdir(parents=True)
    (site / "fracast" / "__init__.py").write_text("raise RuntimeError('a pull must never import fracast')\n")
    for name, data in files.items():
        (weights / name).write_bytes(data)
    info = site / f"fracast-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fracast\nVersion: {version}\n")
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{site}" exec "{sys.executable}" "$@"\n')
    script.chmod(0o755)
    return str(script)


def pull(model: str, python: str) -> tuple[PackagePull, list[dict]]:
    puller = PackagePull(None, lambda family: python)

    async def collect() -> list[dict]:
        return [event async for event in puller.events(get_spec(model))]

    return puller, asyncio.run(collect())


@pytest.mark.parametrize(
    ("model", "names"),
    [
        ("fracast-0", ["config.json", "model.int8.safetensors", "w8_manifest.json"]),
        ("fracast-0-fp32", ["config.json", "model.safetensors"]),
    ],
)
def test_the_pull_records_version_and_digests_of_the_files_the_runner_loads(
    tmp_path: Path, model: str, names: list[str]
) -> None:
    puller, events = pull(model, fake_python(tmp_path))
    assert [e["status"] for e in events] == ["verifying fracast==0.1.0 weights"]
    assert puller.result is not None
    resolved = puller.result.resolved
    assert resolved.package_version == "0.1.0"
    assert Path(resolved.snapshot_path or "") == tmp_path / "site" / "fracast" / "weights"
    assert resolved.sha256 == {name: hashlib.sha256(FILES[name]).hexdigest() for name in names}
    assert puller.result.size_bytes == sum(len(FILES[name]) for name in names)


def test_a_missing_package_names_the_extra_to_install() -> None:
    with pytest.raises(RunnerUnavailable, match=r"lacks; install it with `pip install \"tollama\[runner_fracast\]\"`"):
        pull("fracast-0", sys.executable)  # the test interpreter has no fracast


def test_another_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunnerUnavailable, match=r"needs fracast==0\.1\.0 but .* has 0\.2\.0"):
        pull("fracast-0", fake_python(tmp_path, version="0.2.0"))


def test_a_missing_weight_file_is_refused(tmp_path: Path) -> None:
    files = {k: v for k, v in FILES.items() if k != "w8_manifest.json"}
    with pytest.raises(RunnerUnavailable, match=r"no weight file .*w8_manifest.*install fracast --force"):
        pull("fracast-0", fake_python(tmp_path, files=files))


@pytest.mark.parametrize(("model", "weights"), [("fracast-0", "w8"), ("fracast-0-fp32", "fp32")])
def test_the_registry_says_fracast_takes_no_covariates_and_no_hub(model: str, weights: str) -> None:
    spec = get_spec(model)
    assert spec.family == "fracast" and spec.source.type == "package" and spec.source.repo_id is None
    assert (spec.source.package, spec.source.version, spec.source.weights) == ("fracast", "0.1.0", weights)
    covariates = {k: v for k, v in spec.capabilities.model_dump().items() if "covariates" in k}
    assert covariates and not any(covariates.values())
    assert spec.limits.max_context == 2048 and any("covariates are dropped" in n for n in spec.notes)
