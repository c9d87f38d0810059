"""Fracast-0 through everything a user touches, with no hub at all.

The weights ship in the ``fracast`` wheel: the pull builds the family's runtime (our bootstrap,
the CPU torch + ``fracast==0.1.0``) and hashes the files the runner loads, while the daemon's
``HF_ENDPOINT`` points at a socket that listens but never answers (any contact would hang the
pull and leave a connection queued). Every answer is compared with ``FracastModel`` called
in-process in that runtime, one series at a time, unpadded (``rig.baseline``).
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from family_checks import EXAMPLES, assert_same_forecasts, ok, read_example, refused, runner_info, wave

from tollama.testing.daemon import run_cli
from tollama.testing.families import BUILD_TIMEOUT_SECONDS, FamilyRig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
MODELS = ("fracast-0", "fracast-0-fp32")
RNG = np.random.default_rng(17)


class SilentHub:
    """A listening socket nobody answers: an unreachable hub that still notices a connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def contacted(self) -> bool:
        try:
            conn, _ = self.sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True


@pytest.fixture(scope="module")
def hub() -> Iterator[SilentHub]:
    silent = SilentHub()
    yield silent
    silent.sock.close()


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, hub: SilentHub) -> Iterator[FamilyRig]:
    env = {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": ""}
    with FamilyRig("fracast", tmp_path_factory.mktemp("fracast"), env=env, build_runtime=False) as running:
        yield running


@pytest.fixture(scope="module")
def first_pull(rig: FamilyRig) -> subprocess.CompletedProcess[str]:
    """``tollama pull fracast-0`` on a machine without the family's runtime: it builds it."""
    removed = rig.cli("runtime", "rm", "fracast")
    assert removed.returncode == 0, removed.stderr
    done = rig.cli("pull", "fracast-0", timeout=BUILD_TIMEOUT_SECONDS)
    assert done.returncode == 0, f"{done.stderr}\n{rig.daemon.log()[-3000:]}"
    events = rig.pull("fracast-0-fp32")
    assert events[-1]["status"] == "success", events[-3:]
    return done


def show(rig: FamilyRig, model: str) -> dict[str, Any]:
    shown = httpx.post(f"{rig.daemon.base_url}/api/show", json={"model": model}, timeout=30, trust_env=False)
    assert shown.status_code == 200, shown.text
    return shown.json()


def series(sid: str, n: int, gaps: int = 0, scale: float = 1.0) -> dict[str, Any]:
    target: list[float | None] = (RNG.normal(size=n).cumsum() * scale + 50 * scale).round(4).tolist()
    for index in RNG.choice(n - 1, size=gaps, replace=False):
        target[int(index)] = None
    return {"id": sid, "target": target}


def test_pull_builds_the_runtime_with_progress_and_records_the_weights(
    rig: FamilyRig, first_pull: subprocess.CompletedProcess[str], hub: SilentHub
) -> None:
    progress = first_pull.stderr
    assert "bootstrapping fracast runtime: installing torch==2.13.0" in progress
    assert "bootstrapping fracast runtime: installing tollama[runner_fracast]" in progress
    assert "verifying fracast==0.1.0 weights" in progress and "success" in progress
    for model, files in {
        "fracast-0": ["config.json", "model.int8.safetensors", "w8_manifest.json"],
        "fracast-0-fp32": ["config.json", "model.safetensors"],
    }.items():
        manifest = show(rig, model)
        folder = Path(manifest["resolved"]["snapshot_path"])
        assert folder.is_relative_to(rig.runtimes / "fracast" / "venv")  # the wheel's own files
        assert manifest["resolved"]["package_version"] == "0.1.0"
        digests = manifest["resolved"]["sha256"]
        assert sorted(digests) == files
        for name, digest in digests.items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
        assert manifest["size_bytes"] == sum((folder / name).stat().st_size for name in files)
    assert not hub.contacted()


def test_answers_equal_the_library_for_both_weight_formats(rig: FamilyRig, first_pull: object) -> None:
    body = {
        "horizon": 12,
        "quantiles": [0.1, 0.25, 0.5, 0.9],
        "series": [
            series("short", 9),
            series("gaps", 120, gaps=7),
            series("monthly", 144, scale=30.0),
            series("long", 2500),  # beyond the 2,048 the model reads
            {"id": "edge-gaps", "target": [None, None, *wave(40), None]},
        ],
        "options": {"batch_size": 2},
    }
    answers = {}
    for model in MODELS:
        request = {**body, "model": model}
        answers[model] = answer = ok(rig, request)
        assert_same_forecasts(answer, rig.baseline(model, request))
        warnings = " | ".join(answer["warnings"])
        assert "0.25 interpolated" in warnings and "'long'" in warnings and "2048" in warnings
        assert all(len(f["mean"]) == 12 for f in answer["forecasts"])
        assert answer["forecasts"][0]["mean"] == answer["forecasts"][0]["quantiles"]["0.5"]
    assert answers["fracast-0"]["forecasts"][2]["mean"] != answers["fracast-0-fp32"]["forecasts"][2]["mean"]


@pytest.mark.parametrize("model", MODELS)
def test_long_horizons_continue_block_wise_like_the_library(rig: FamilyRig, first_pull: object, model: str) -> None:
    request = {"model": model, "horizon": 130, "quantiles": [0.1, 0.9], "series": [series("a", 300), series("b", 60)]}
    answer = ok(rig, request)
    assert_same_forecasts(answer, rig.baseline(model, request))
    assert any("48 steps at once" in w and "130" in w for w in answer["warnings"])


def test_too_few_observed_values_is_a_400_naming_the_series(rig: FamilyRig, first_pull: object) -> None:
    request = {
        "model": "fracast-0",
        "horizon": 6,
        "series": [
            series("fine", 30),
            {"id": "seven", "target": wave(7)},
            {"id": "holey", "target": [*[None] * 20, *wave(7)]},
        ],
    }
    refused(rig, request, "'seven'", "'holey'", "at least 8")


def test_covariates_are_dropped_with_a_warning_or_refused_in_strict_mode(rig: FamilyRig, first_pull: object) -> None:
    plain = series("a", 60)
    with_covariates = {**plain, "past_covariates": {"temp": RNG.normal(size=60).tolist()}}
    answer = ok(rig, {"model": "fracast-0", "horizon": 6, "series": [with_covariates]})
    assert any("'temp'" in w for w in answer["warnings"])
    alone = ok(rig, {"model": "fracast-0", "horizon": 6, "series": [plain]})
    assert answer["forecasts"][0]["mean"] == alone["forecasts"][0]["mean"]
    strict = {"model": "fracast-0", "horizon": 6, "series": [with_covariates]}
    refused(rig, {**strict, "parameters": {"covariates_mode": "strict"}}, "temp")


def test_cli_run_of_airpassengers_needs_no_hub(rig: FamilyRig, first_pull: object, hub: SilentHub) -> None:
    done = rig.cli("run", "fracast-0", "--input", str(EXAMPLES / "airpassengers.json"), "--no-stream", "--json")
    assert done.returncode == 0, done.stderr
    request = {**read_example("airpassengers.json"), "model": "fracast-0"}
    answer = json.loads(done.stdout)
    assert_same_forecasts(answer, rig.baseline("fracast-0", request))
    assert answer["forecasts"][0]["timestamps"][0] == "1961-01-01"
    assert not hub.contacted()


def test_show_info_and_rm(rig: FamilyRig, first_pull: object) -> None:
    ok(rig, {"model": "fracast-0-fp32", "horizon": 3, "series": [series("x", 20)]})
    shown = run_cli("show", "fracast-0-fp32", env={**rig.daemon.cli_env(), "COLUMNS": "300"})  # no wrapped digests
    assert shown.returncode == 0, shown.stderr
    digest = show(rig, "fracast-0-fp32")["resolved"]["sha256"]["model.safetensors"]
    assert "fracast==0.1.0" in shown.stdout and digest in shown.stdout and "covariates are dropped" in shown.stdout
    runner = runner_info(rig)
    assert runner["python"] == str(rig.python)  # the runner runs in the family's own runtime
    info = httpx.get(f"{rig.daemon.base_url}/api/info", timeout=30, trust_env=False).json()
    runtime = next(r for r in info["runtimes"] if r["family"] == "fracast")
    assert runtime["status"] == "ready" and runtime["python"] == str(rig.python)
    assert runtime["extra"] == "runner_fracast" and runtime["torch_version"].endswith("+cpu")
    assert rig.cli("rm", "fracast-0-fp32").returncode == 0
    gone = httpx.post(f"{rig.daemon.base_url}/api/show", json={"model": "fracast-0-fp32"}, timeout=30, trust_env=False)
    assert gone.status_code == 404
    assert Path(show(rig, "fracast-0")["resolved"]["snapshot_path"]).is_dir()  # the wheel's files stay
    listed = rig.cli("list")
    assert "fracast-0-fp32" not in listed.stdout and "fracast-0" in listed.stdout
    # A user's `tollama run` of a model not installed pulls it (the runtime is already built).
    example = str(EXAMPLES / "airpassengers.json")
    again = rig.cli("run", "fracast-0-fp32", "--input", example, "--no-stream", "--json")
    assert again.returncode == 0, again.stderr
    assert "Pulling 'fracast-0-fp32'" in again.stderr and "bootstrapping" not in again.stderr
    assert show(rig, "fracast-0-fp32")["resolved"]["sha256"]["model.safetensors"] == digest


def test_weights_changed_after_the_pull_are_refused(rig: FamilyRig, first_pull: object, tmp_path: Path) -> None:
    # Answer once and unload (keep_alive 0), so the next request loads from the edited manifest.
    ok(rig, {"model": "fracast-0-fp32", "horizon": 3, "series": [series("x", 20)], "keep_alive": 0})
    manifest_file = rig.workdir / "home" / "models" / "fracast-0-fp32" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    copy = tmp_path / "weights"
    copy.mkdir()
    for name in manifest["resolved"]["sha256"]:
        (copy / name).write_bytes(Path(manifest["resolved"]["snapshot_path"], name).read_bytes())
    (copy / "model.safetensors").write_bytes((copy / "model.safetensors").read_bytes()[:-8] + b"\0" * 8)
    manifest["resolved"]["snapshot_path"] = str(copy)
    manifest_file.write_text(json.dumps(manifest))
    response = rig.forecast({"model": "fracast-0-fp32", "horizon": 3, "series": [series("x", 20)]})
    assert response.status_code >= 500 and "pull it again" in response.json()["error"], response.text
    assert "model.safetensors" in response.json()["error"]
    rig.cli("rm", "fracast-0-fp32")
    assert rig.pull("fracast-0-fp32")[-1]["status"] == "success"
