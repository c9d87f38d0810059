"""Pulls that overlap, die half-way or lose their client.

The hub holds the weights' body at a chosen byte (``LocalHub.pause``), so each test acts at a
known point of the download instead of sleeping.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import orjson
import pytest

from tollama.testing.daemon import DaemonProcess
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import publish_model, pull_events, repo_cache, wait_until

pytestmark = pytest.mark.slow
BOLT = "chronos-bolt-small"
BOLT_REPO = "amazon/chronos-bolt-small"
MIB = 1024 * 1024
READ_SIZE = 10 * MIB  # huggingface_hub writes the body in 10 MiB reads


def test_two_concurrent_pulls_share_one_download(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, BOLT)
    pause = hub.pause(BOLT_REPO, "model.safetensors", after_bytes=0)
    body = {"model": BOLT}
    with (
        httpx.Client(base_url=hub_daemon.base_url, timeout=120, trust_env=False) as first_client,
        httpx.Client(base_url=hub_daemon.base_url, timeout=120, trust_env=False) as second_client,
        first_client.stream("POST", "/api/pull", json=body) as first,
    ):
        first_lines = first.iter_lines()
        assert orjson.loads(next(first_lines))["status"] == "pulling manifest"
        assert pause.reached.wait(30)  # the first pull is inside the weights' download
        with second_client.stream("POST", "/api/pull", json=body) as second:
            second_lines = second.iter_lines()
            joined = orjson.loads(next(second_lines))  # the second pull has joined the running one
            pause.release()
            second_events = [joined, *(orjson.loads(line) for line in second_lines)]
        first_events = [orjson.loads(line) for line in first_lines]

    assert joined["status"] == "pulling manifest"
    assert first_events[-1]["status"] == second_events[-1]["status"] == "success"
    assert "pulling model.safetensors" in {e["status"] for e in second_events}
    assert len(hub.served("GET", "/resolve/" + hub.commit_sha(BOLT_REPO) + "/model.safetensors")) == 1
    assert len(hub.served("GET", "/config.json")) == 1


def test_a_killed_pull_leaves_no_manifest_and_the_next_one_restarts_cleanly(
    hub: LocalHub, tollama_home: Path, hf_home: Path, daemon_env: dict[str, str]
) -> None:
    """huggingface_hub 2.4 never resumes another process's partial file: the next pull downloads
    the file again and tollama removes the orphaned partial file the killed one left."""
    weights = os.urandom(READ_SIZE + 2 * MIB)
    publish_model(hub, BOLT, {"config.json": "{}", "model.safetensors": weights})
    pause = hub.pause(BOLT_REPO, "model.safetensors", after_bytes=READ_SIZE + MIB)
    blobs = repo_cache(hf_home, BOLT_REPO) / "blobs"

    def partial_size() -> int:
        return sum(p.stat().st_size for p in blobs.glob("*.incomplete"))

    daemon = DaemonProcess(tollama_home, env=daemon_env)
    daemon.start()
    try:
        with (
            httpx.Client(base_url=daemon.base_url, timeout=120, trust_env=False) as client,
            client.stream("POST", "/api/pull", json={"model": BOLT}) as response,
        ):
            lines = response.iter_lines()  # kept: a dropped iterator would close the connection
            for line in lines:
                event = orjson.loads(line)
                if event["status"] == "pulling model.safetensors" and event["completed"] > 0:
                    break
            wait_until(lambda: partial_size() >= READ_SIZE)  # the first read is on disk
            assert daemon.process is not None
            daemon.process.kill()
            daemon.process.wait()
        assert pause.disconnected.wait(30)  # the download child went down with the daemon
    finally:
        daemon.stop()

    assert not (tollama_home / "models" / BOLT / "manifest.json").exists()
    assert partial_size() == READ_SIZE

    with DaemonProcess(tollama_home, env=daemon_env) as again:
        assert pull_events(again.base_url, {"model": BOLT})[-1]["status"] == "success"
        manifest = httpx.post(f"{again.base_url}/api/show", json={"model": BOLT}).json()
    weights_file = Path(manifest["resolved"]["snapshot_path"]) / "model.safetensors"
    assert hashlib.sha256(weights_file.read_bytes()).digest() == hashlib.sha256(weights).digest()
    assert list(blobs.glob("*.incomplete")) == []
    assert len(hub.served("GET", "/config.json")) == 1  # finished before the kill: kept, not fetched again
    assert len(list(blobs.iterdir())) == 2  # config and weights, nothing else


def test_a_pull_whose_client_leaves_is_cancelled(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, BOLT)
    pause = hub.pause(BOLT_REPO, "model.safetensors", after_bytes=0)
    with (
        httpx.Client(base_url=hub_daemon.base_url, timeout=120, trust_env=False) as client,
        client.stream("POST", "/api/pull", json={"model": BOLT}) as response,
    ):
        lines = response.iter_lines()
        next(lines)
        assert pause.reached.wait(30)  # downloading; now the client goes away
    assert pause.disconnected.wait(30)  # the daemon stopped the download
    assert not (hub_daemon.home / "models" / BOLT / "manifest.json").exists()
    assert pull_events(hub_daemon.base_url, {"model": BOLT})[-1]["status"] == "success"
