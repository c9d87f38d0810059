"""Helpers for tests that pull through the local hub: serve a registry model, read a pull's events."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson

from tollama.core.registry import get_spec
from tollama.testing.hub import FileSource, LocalHub

# Variables of the developer's shell that would change what a pull does; the daemon gets them empty.
NEUTRAL_ENV = {
    name: ""
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "HF_HUB_OFFLINE",
        "TOLLAMA_OFFLINE",
        "HF_TOKEN",
        "TOLLAMA_HF_TOKEN",
    )
}


def publish_model(
    hub: LocalHub, name: str, files: Mapping[str, FileSource] | Path | None = None, **options: Any
) -> str:
    """Serve ``files`` (default: a fake config and weights) as registry model ``name``'s repo and revision.

    Family tests pass the folder of their generated tiny checkpoint; pull tests use the default.
    Returns the commit the hub serves (the registry pin itself for pinned models).
    """
    spec = get_spec(name)
    if spec.source.type != "huggingface" or not spec.source.repo_id:
        raise ValueError(f"model '{name}' is not pulled from Hugging Face")
    if files is None:
        files = {"config.json": orjson.dumps({"model": name}).decode(), "model.safetensors": b"\0" * 4096}
        files = {**{p: "{}" for p in spec.source.allow_patterns or [] if "*" not in p}, **files}
    return hub.publish(spec.source.repo_id, files, revision=spec.source.revision or "main", **options)


def pull_events(base_url: str, body: dict[str, Any], timeout: float = 120) -> list[dict[str, Any]]:
    """Every NDJSON line of one streamed ``/api/pull``."""
    with (
        httpx.Client(base_url=base_url, timeout=timeout, trust_env=False) as client,
        client.stream("POST", "/api/pull", json=body) as response,
    ):
        if response.status_code != 200:
            raise AssertionError(f"pull answered {response.status_code}: {response.read()!r}")
        return [orjson.loads(line) for line in response.iter_lines() if line.strip()]


def repo_cache(hf_home: Path, repo_id: str) -> Path:
    """Where huggingface_hub caches ``repo_id`` under ``HF_HOME``."""
    return hf_home / "hub" / ("models--" + repo_id.replace("/", "--"))


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for a condition another process makes true; the timeout only bounds a failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
