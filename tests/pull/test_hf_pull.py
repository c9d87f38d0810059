"""``/api/pull`` of Hugging Face models through a real daemon and the local hub."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import pytest

from tollama.core.registry import get_spec
from tollama.testing.daemon import DaemonProcess, run_cli
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import publish_model, pull_events, repo_cache

pytestmark = pytest.mark.slow
BOLT = "chronos-bolt-small"
BOLT_REPO = "amazon/chronos-bolt-small"
MIB = 1024 * 1024


def statuses(events: list[dict]) -> list[str]:
    return [str(e.get("status")) for e in events]


def test_pull_streams_file_progress_then_writes_the_manifest(
    hub: LocalHub, hub_daemon: DaemonProcess, tollama_home: Path, hf_home: Path
) -> None:
    weights = bytes(range(256)) * (12 * MIB // 256)  # over one 10 MiB read: progress before the end
    commit = publish_model(hub, BOLT, {"config.json": "{}", "model.safetensors": weights, "README.md": "x"})
    events = pull_events(hub_daemon.base_url, {"model": BOLT})

    assert statuses(events)[0] == "pulling manifest"
    assert statuses(events)[-3:] == ["verifying", "writing manifest", "success"]
    assert events[-1]["done"] is True
    weights_events = [e for e in events if e["status"] == "pulling model.safetensors"]
    assert weights_events[0]["completed"] == 0
    assert weights_events[-1]["completed"] == weights_events[-1]["total"] == len(weights)
    assert any(0 < e["completed"] < len(weights) for e in weights_events)
    assert weights_events[0]["digest"] == "sha256:" + hashlib.sha256(weights).hexdigest()
    assert "pulling README.md" not in statuses(events)  # allow_patterns keeps it out

    manifest = httpx.post(f"{hub_daemon.base_url}/api/show", json={"model": BOLT}).json()
    snapshot = Path(manifest["resolved"]["snapshot_path"])
    assert manifest["resolved"]["commit_sha"] == commit == snapshot.name
    assert snapshot.parent.parent == repo_cache(hf_home, BOLT_REPO)
    assert (snapshot / "model.safetensors").read_bytes() == weights
    assert not (snapshot / "README.md").exists()
    assert manifest["size_bytes"] == len(weights) + (snapshot / "config.json").stat().st_size
    assert manifest["pulled_at"] and manifest["accepted_at"] is None
    tags = httpx.get(f"{hub_daemon.base_url}/api/tags").json()["models"]
    assert [(m["name"], m["size"]) for m in tags] == [(BOLT, manifest["size_bytes"])]


def test_a_second_pull_reuses_the_cache(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, BOLT)
    pull_events(hub_daemon.base_url, {"model": BOLT})
    downloads = len(hub.served("GET", "/model.safetensors"))
    again = pull_events(hub_daemon.base_url, {"model": BOLT})
    assert again[-1]["status"] == "success"
    assert len(hub.served("GET", "/model.safetensors")) == downloads == 1


def test_a_pinned_revision_is_pulled_at_that_commit(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    pin = get_spec("chronos2").source.revision
    assert pin and len(pin) == 40
    publish_model(hub, "chronos2")
    pull_events(hub_daemon.base_url, {"model": "chronos2"})
    manifest = httpx.post(f"{hub_daemon.base_url}/api/show", json={"model": "chronos2"}).json()
    assert manifest["resolved"]["commit_sha"] == pin
    assert hub.served("GET", f"/revision/{pin}")


def test_stream_false_answers_the_final_object(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, BOLT)
    response = httpx.post(f"{hub_daemon.base_url}/api/pull", json={"model": BOLT, "stream": False}, timeout=120)
    assert response.status_code == 200
    assert response.json() == {"status": "success", "done": True}


def test_offline_pull_uses_the_cache_only(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, BOLT)
    pull_events(hub_daemon.base_url, {"model": BOLT})
    hub.requests.clear()
    events = pull_events(hub_daemon.base_url, {"model": BOLT, "offline": True})
    assert statuses(events)[-1] == "success"
    assert "pulling model.safetensors" in statuses(events)
    assert hub.requests == []


def test_offline_with_nothing_cached_fails_fast_and_says_to_pull_online(
    hub_daemon: DaemonProcess, tollama_home: Path
) -> None:
    started = time.monotonic()
    response = httpx.post(
        f"{hub_daemon.base_url}/api/pull", json={"model": BOLT, "offline": True, "stream": False}, timeout=30
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 404
    assert "pull it online first" in response.json()["error"]
    assert elapsed < 1.0
    assert not (tollama_home / "models" / BOLT).exists()


def test_config_offline_default_is_applied_and_a_request_overrides_it(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    publish_model(hub, BOLT)
    done = run_cli("config", "set", "pull.offline", "true", env=hub_daemon.cli_env())
    assert done.returncode == 0, done.stderr
    info = httpx.get(f"{hub_daemon.base_url}/api/info").json()
    assert info["pull_defaults"]["offline"] == {"value": True, "source": "config"}
    refused = httpx.post(f"{hub_daemon.base_url}/api/pull", json={"model": BOLT, "stream": False}, timeout=30)
    assert refused.status_code == 404
    assert "offline mode is on (from config)" in refused.json()["error"]
    assert pull_events(hub_daemon.base_url, {"model": BOLT, "offline": False})[-1]["status"] == "success"


@pytest.mark.parametrize(
    ("model", "publish", "fragment"),
    [
        ("chronos-bolt-base", False, "repo amazon/chronos-bolt-base was not found"),
        ("chronos2", False, "was not found"),
        ("chronos2", True, "revision '18128c7b4f3fd286f06d6d4efe1d252f1d2a9a7c' of amazon/chronos-2 does not exist"),
    ],
)
def test_unknown_repo_or_revision_is_404(
    hub: LocalHub, hub_daemon: DaemonProcess, model: str, publish: bool, fragment: str
) -> None:
    if publish:  # the repo exists, but only at main: the registry pin is unknown to the hub
        hub.publish(str(get_spec(model).source.repo_id), {"config.json": "{}", "model.safetensors": b"x"})
    response = httpx.post(f"{hub_daemon.base_url}/api/pull", json={"model": model, "stream": False}, timeout=60)
    assert response.status_code == 404
    assert fragment in response.json()["error"]
    streamed = pull_events(hub_daemon.base_url, {"model": model})
    assert streamed[-1]["status"] == 404 and fragment in streamed[-1]["error"]
    assert httpx.post(f"{hub_daemon.base_url}/api/show", json={"model": model}).status_code == 404


def test_license_gate_comes_before_any_download(hub: LocalHub, hub_daemon: DaemonProcess) -> None:
    name = "moirai-2.0-R-small"
    publish_model(hub, name)
    refused = httpx.post(f"{hub_daemon.base_url}/api/pull", json={"model": name}, timeout=30)
    assert refused.status_code == 409
    assert hub.requests == []
    events = pull_events(hub_daemon.base_url, {"model": name, "accept_license": True})
    assert events[-1]["status"] == "success"
    manifest = httpx.post(f"{hub_daemon.base_url}/api/show", json={"model": name}).json()
    assert manifest["accepted_at"] and manifest["license"]["id"] == "cc-by-nc-4.0"


def test_builtin_pull_keeps_the_same_event_shape(hub_daemon: DaemonProcess) -> None:
    events = pull_events(hub_daemon.base_url, {"model": "mock"})
    assert statuses(events) == ["pulling manifest", "verifying", "writing manifest", "success"]


def test_rm_drops_the_models_cache_and_leaves_other_models_alone(
    hub: LocalHub, hub_daemon: DaemonProcess, hf_home: Path
) -> None:
    publish_model(hub, BOLT)
    publish_model(hub, "chronos-bolt-base")
    for name in (BOLT, "chronos-bolt-base"):
        assert pull_events(hub_daemon.base_url, {"model": name})[-1]["status"] == "success"
    other = httpx.post(f"{hub_daemon.base_url}/api/show", json={"model": "chronos-bolt-base"}).json()
    other_blobs = sorted(p.name for p in (repo_cache(hf_home, "amazon/chronos-bolt-base") / "blobs").iterdir())

    done = run_cli("rm", BOLT, env=hub_daemon.cli_env())
    assert done.returncode == 0, done.stderr

    assert not repo_cache(hf_home, BOLT_REPO).exists() or not any((repo_cache(hf_home, BOLT_REPO) / "blobs").glob("*"))
    assert sorted(p.name for p in (repo_cache(hf_home, "amazon/chronos-bolt-base") / "blobs").iterdir()) == other_blobs
    assert (Path(other["resolved"]["snapshot_path"]) / "model.safetensors").is_file()
    names = [m["name"] for m in httpx.get(f"{hub_daemon.base_url}/api/tags").json()["models"]]
    assert names == ["chronos-bolt-base"]
