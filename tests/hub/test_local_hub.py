"""The local hub answers the Hub's endpoints with the Hub's headers and error codes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tollama.testing.hub import LocalHub

REPO = "acme/tiny"
GOOD, OTHER = "hf_good_token", "hf_other_token"
WEIGHTS = bytes(range(256)) * 4096  # 1 MiB, served as an LFS file


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub", tokens={GOOD, OTHER}) as running:
        running.publish(REPO, {"config.json": '{"d": 1}', "model.safetensors": WEIGHTS, "docs/README.md": "hi"})
        yield running


@pytest.fixture
def http(hub: LocalHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.endpoint, trust_env=False) as client:
        yield client


def test_revision_info_names_the_commit_and_files(hub: LocalHub, http: httpx.Client) -> None:
    info = http.get(f"/api/models/{REPO}/revision/main").json()
    assert info["sha"] == hub.commit_sha(REPO)
    assert len(info["sha"]) == 40
    assert {s["rfilename"] for s in info["siblings"]} == {"config.json", "model.safetensors", "docs/README.md"}
    assert http.get(f"/api/models/{REPO}").json()["sha"] == info["sha"]


def test_tree_lists_sizes_oids_and_lfs(hub: LocalHub, http: httpx.Client) -> None:
    tree = http.get(f"/api/models/{REPO}/tree/{hub.commit_sha(REPO)}", params={"recursive": "true"}).json()
    files = {e["path"]: e for e in tree if e["type"] == "file"}
    assert files["model.safetensors"]["lfs"] == {
        "oid": hashlib.sha256(WEIGHTS).hexdigest(),
        "size": len(WEIGHTS),
        "pointerSize": 134,
    }
    assert "lfs" not in files["config.json"]
    assert files["config.json"]["oid"] == hashlib.sha1(b"blob 8\0" + b'{"d": 1}').hexdigest()
    assert "docs/README.md" in files
    shallow = http.get(f"/api/models/{REPO}/tree/main").json()
    assert {e["path"] for e in shallow} == {"docs", "config.json", "model.safetensors"}


def test_resolve_head_sends_the_headers_the_client_needs(hub: LocalHub, http: httpx.Client) -> None:
    head = http.head(f"/{REPO}/resolve/main/model.safetensors")
    assert head.status_code == 200
    assert head.headers["x-repo-commit"] == hub.commit_sha(REPO)
    assert head.headers["etag"] == f'"{hashlib.sha256(WEIGHTS).hexdigest()}"'
    assert head.headers["content-length"] == str(len(WEIGHTS))
    assert "x-xet-hash" not in head.headers
    assert http.get(f"/{REPO}/resolve/main/model.safetensors").content == WEIGHTS


def test_range_requests_answer_206_and_416(http: httpx.Client) -> None:
    part = http.get(f"/{REPO}/resolve/main/model.safetensors", headers={"Range": "bytes=1000-"})
    assert part.status_code == 206
    assert part.content == WEIGHTS[1000:]
    assert part.headers["content-range"] == f"bytes 1000-{len(WEIGHTS) - 1}/{len(WEIGHTS)}"
    bounded = http.get(f"/{REPO}/resolve/main/model.safetensors", headers={"Range": "bytes=10-19"})
    assert bounded.content == WEIGHTS[10:20]
    past = http.get(f"/{REPO}/resolve/main/model.safetensors", headers={"Range": f"bytes={len(WEIGHTS)}-"})
    assert past.status_code == 416


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/models/acme/missing/revision/main", "RepoNotFound"),
        (f"/api/models/{REPO}/revision/no-such-branch", "RevisionNotFound"),
        (f"/api/models/{REPO}/revision/{'0' * 40}", "RevisionNotFound"),
        (f"/{REPO}/resolve/main/adapter_config.json", "EntryNotFound"),
    ],
)
def test_missing_things_are_404_with_the_hub_error_code(http: httpx.Client, path: str, code: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.headers["x-error-code"] == code
    assert http.head(path).headers["x-error-code"] == code


def test_gated_repo_needs_a_granted_token(hub: LocalHub, http: httpx.Client) -> None:
    hub.publish("acme/gated", {"config.json": "{}"}, gated=True, granted={GOOD})
    url = "/acme/gated/resolve/main/config.json"
    missing = http.get(url)
    assert (missing.status_code, missing.headers["x-error-code"]) == (401, "GatedRepo")
    wrong = http.get(url, headers={"Authorization": "Bearer hf_wrong"})
    assert wrong.status_code == 401
    assert wrong.headers["x-error-message"] == "Invalid credentials in Authorization header"
    not_granted = http.get(url, headers={"Authorization": f"Bearer {OTHER}"})
    assert (not_granted.status_code, not_granted.headers["x-error-code"]) == (403, "GatedRepo")
    assert http.get(url, headers={"Authorization": f"Bearer {GOOD}"}).status_code == 200


def test_commit_follows_content_and_pins_keep_their_name(hub: LocalHub) -> None:
    before = hub.commit_sha(REPO)
    hub.publish(REPO, {"config.json": '{"d": 2}', "model.safetensors": WEIGHTS, "docs/README.md": "hi"})
    assert hub.commit_sha(REPO) != before
    pin = "18128c7b4f3fd286f06d6d4efe1d252f1d2a9a7c"
    assert hub.publish(REPO, {"config.json": "{}"}, revision=pin) == pin
    assert hub.resolve(REPO, pin).files.keys() == {"config.json"}
    branch = hub.publish(REPO, {"config.json": "{}"}, revision="512-96-r2")
    assert hub.resolve(REPO, "512-96-r2").commit == branch
    assert hub.resolve(REPO, branch).commit == branch


def test_pause_holds_the_body_until_released(hub: LocalHub) -> None:
    pause = hub.pause(REPO, "model.safetensors", after_bytes=1000)
    with (
        httpx.Client(base_url=hub.endpoint, trust_env=False) as client,
        client.stream("GET", f"/{REPO}/resolve/main/model.safetensors") as response,
    ):
        chunks = response.iter_raw(1000)
        assert next(chunks) == WEIGHTS[:1000]
        assert pause.reached.wait(10)
        pause.release()
        assert WEIGHTS[:1000] + b"".join(chunks) == WEIGHTS


def test_pause_notices_a_client_that_went_away(hub: LocalHub) -> None:
    pause = hub.pause(REPO, "model.safetensors", after_bytes=0)
    with (
        httpx.Client(base_url=hub.endpoint, trust_env=False) as client,
        client.stream("GET", f"/{REPO}/resolve/main/model.safetensors"),
    ):
        assert pause.reached.wait(10)
    assert pause.disconnected.wait(10)


@pytest.mark.slow
def test_the_real_client_downloads_a_snapshot(hub: LocalHub, tmp_path: Path) -> None:
    """huggingface_hub's snapshot_download, in its own process pointed at the hub by HF_ENDPOINT."""
    script = (
        "import json, sys\n"
        "from huggingface_hub import snapshot_download\n"
        "path = snapshot_download(sys.argv[1], allow_patterns=['config.json', 'model.safetensors'])\n"
        "print(json.dumps(path))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, REPO],
        env={"PATH": "/usr/bin:/bin", **hub.client_env(tmp_path / "hf")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    snapshot = Path(json.loads(done.stdout))
    assert snapshot.name == hub.commit_sha(REPO)
    assert (snapshot / "model.safetensors").read_bytes() == WEIGHTS
    assert not (snapshot / "docs").exists()
