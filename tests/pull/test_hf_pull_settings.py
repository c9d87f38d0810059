"""What a Hugging Face pull is given: its job, its child's environment, and its clean-ups."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock

from tollama.core.config import PullConfig, TollamaConfig
from tollama.core.pull_settings import resolve_pull_settings
from tollama.core.redaction import redact_text
from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest, ResolvedSnapshot
from tollama.daemon.hf_download import remove_orphaned_partials
from tollama.daemon.hf_pull import child_env, make_job, release_snapshot

SHELL = {
    "PATH": "/usr/bin",
    "HTTPS_PROXY": "http://env-proxy:3128",
    "https_proxy": "http://env-proxy:3128",
    "HF_TOKEN": "hf_from_env",
    "HF_HUB_OFFLINE": "1",
    "HF_HOME": "/env/hf",
}


def settings(request: dict | None = None, config: PullConfig | None = None, environ: dict | None = None) -> dict:
    return resolve_pull_settings(request, TollamaConfig(pull=config or PullConfig()), environ or {})


def test_job_follows_the_registry_and_the_effective_settings() -> None:
    spec = get_spec("chronos2")
    job = make_job(spec, settings({"hf_home": "~/fast/hf", "token": "hf_request"}, environ=SHELL))
    assert (job.repo_id, job.revision) == ("amazon/chronos-2", spec.source.revision)
    assert job.allow_patterns == ["config.json", "model.safetensors"]
    assert job.cache_dir == str(Path("~/fast/hf").expanduser() / "hub")
    assert job.token == "hf_request"
    assert (job.offline, job.offline_source) == (True, "env")


def test_an_inherited_hf_home_is_left_to_huggingface_hub() -> None:
    job = make_job(get_spec("chronos2"), settings(environ=SHELL))
    assert job.cache_dir is None  # the library resolves HF_HOME / HF_HUB_CACHE itself
    assert make_job(get_spec("chronos2"), settings(config=PullConfig(hf_home="/cfg/hf"))).cache_dir == "/cfg/hf/hub"


def test_child_env_carries_this_pulls_proxies_and_no_token() -> None:
    resolved = settings({"http_proxy": "http://u:p@req-proxy:8080", "no_proxy": "127.0.0.1"}, environ=SHELL)
    env = child_env(resolved, SHELL)
    assert env["HTTP_PROXY"] == env["http_proxy"] == "http://u:p@req-proxy:8080"
    assert env["HTTPS_PROXY"] == env["https_proxy"] == "http://env-proxy:3128"
    assert env["NO_PROXY"] == env["no_proxy"] == "127.0.0.1"
    assert "HF_TOKEN" not in env and "HF_HUB_OFFLINE" not in env
    assert env["HF_HOME"] == "/env/hf"
    assert SHELL["HF_TOKEN"] == "hf_from_env"  # the daemon's own environment is untouched


def test_child_env_drops_proxies_nobody_asked_for() -> None:
    env = child_env(settings(environ={}), {**SHELL, "HTTPS_PROXY": "", "https_proxy": ""})
    assert not any(name.lower().endswith("_proxy") for name in env)


def test_orphaned_partials_go_and_live_ones_stay(tmp_path: Path) -> None:
    folder = "models--acme--tiny"
    blobs = tmp_path / folder / "blobs"
    blobs.mkdir(parents=True)
    (tmp_path / ".locks" / folder).mkdir(parents=True)
    orphan = blobs / "aaaa.1234abcd.incomplete"
    live = blobs / "bbbb.5678abcd.incomplete"
    complete = blobs / "cccc"
    for path in (orphan, live, complete):
        path.write_bytes(b"x")
    with FileLock(tmp_path / ".locks" / folder / "bbbb.lock"):
        # held by this process, as a running download in another process would hold it
        removed = _in_other_process(tmp_path)
    assert removed == [str(orphan)]
    assert live.exists() and complete.exists() and not orphan.exists()


def _in_other_process(cache_dir: Path) -> list[str]:
    """filelock is reentrant inside one process, so the check must run in another one."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; from pathlib import Path\n"
        "from tollama.daemon.hf_download import remove_orphaned_partials\n"
        "print(json.dumps([str(p) for p in remove_orphaned_partials(Path(sys.argv[1]), 'acme/tiny')]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(cache_dir)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_snapshot_another_installed_model_uses_is_kept(tmp_path: Path) -> None:
    snapshot = tmp_path / "hub" / "models--acme--tiny" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    spec = get_spec("chronos-bolt-small").model_dump()
    resolved = ResolvedSnapshot(commit_sha="a" * 40, snapshot_path=str(snapshot))
    mine = ModelManifest(**spec, resolved=resolved, pulled_at="now")
    theirs = ModelManifest(**{**spec, "name": "bolt-alias"}, resolved=resolved, pulled_at="now")
    assert release_snapshot(mine, [mine, theirs]) is False
    assert (snapshot / "config.json").exists()
    assert release_snapshot(ModelManifest(**get_spec("mock").model_dump(), pulled_at="now"), []) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cannot reach via http://user:pw@proxy:3128 now", "cannot reach via http://***:***@proxy:3128 now"),
        ("token hf_secret rejected", "token *** rejected"),
        ("plain http://proxy:3128", "plain http://proxy:3128"),
    ],
)
def test_redact_text_masks_credentials_in_messages(text: str, expected: str) -> None:
    assert redact_text(text, ("hf_secret",)) == expected


def test_remove_orphaned_partials_is_quiet_without_a_cache(tmp_path: Path) -> None:
    assert remove_orphaned_partials(tmp_path / "missing", "acme/tiny") == []
