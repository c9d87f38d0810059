"""Test a model family through everything a user touches: its runtime, a pull, a forecast.

``FamilyRig`` builds the family's runtime with tollama's own bootstrap code (``tollama runtime
install``, as a user's first forecast would; later runs reuse it while its marker matches),
generates random-initialised checkpoints with that runtime's python (the library lives only
there), serves them from a local hub under the registry's repo ids and revisions, and starts a
daemon pointed at that hub::

    with FamilyRig("torch", tmp_path) as rig:
        rig.publish("chronos2")
        rig.pull("chronos2")
        answer = rig.forecast({"model": "chronos2", ...})
        assert answer == rig.baseline("chronos2", request)   # within tolerance

Runtimes go to ``TOLLAMA_TEST_RUNTIMES_DIR`` (default ``<checkout>/.tollama-test/runtimes``),
shared by every test and run, so each family is built once per checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tollama.testing.daemon import DaemonProcess, run_cli
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import NEUTRAL_ENV, publish_model, pull_events

RUNTIMES_ENV = "TOLLAMA_TEST_RUNTIMES_DIR"
BUILD_TIMEOUT_SECONDS = 1800
CALL_TIMEOUT_SECONDS = 600
_CHECKOUT = Path(__file__).resolve().parents[3]


def shared_runtimes_dir() -> Path:
    """Where family tests keep runtimes between tests and runs."""
    if value := os.environ.get(RUNTIMES_ENV):
        return Path(value)
    if (_CHECKOUT / "pyproject.toml").exists():
        return _CHECKOUT / ".tollama-test" / "runtimes"
    return Path(tempfile.gettempdir()) / "tollama-test-runtimes"


class FamilyRig:
    """A local hub, a daemon using the shared runtimes, and the family's runtime built."""

    def __init__(
        self, family: str, workdir: Path, env: dict[str, str] | None = None, build_runtime: bool = True
    ) -> None:
        """``build_runtime=False``: leave the build to the test (a pull that must build it, say)."""
        self.family = family
        self._build_runtime = build_runtime
        self.workdir = workdir
        self.runtimes = shared_runtimes_dir()
        self.hub = LocalHub(workdir / "hub")
        self.python = self.runtimes / family / "venv" / "bin" / "python"
        self._env = env or {}
        self._daemon: DaemonProcess | None = None

    @property
    def daemon(self) -> DaemonProcess:
        if self._daemon is None:
            raise RuntimeError("the rig is not started; use `with FamilyRig(...) as rig:`")
        return self._daemon

    def __enter__(self) -> FamilyRig:
        self.hub.__enter__()
        hf_home = self.workdir / "hf-home"
        self._daemon = DaemonProcess(
            self.workdir / "home",
            env={
                **NEUTRAL_ENV,
                **self.hub.client_env(hf_home),
                "HF_HUB_CACHE": str(hf_home / "hub"),
                "TOLLAMA_RUNTIMES_DIR": str(self.runtimes),
                **self._env,
            },
        )
        try:
            self.daemon.start()
            if self._build_runtime:
                self.install_runtime()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._daemon is not None:
            self._daemon.stop()
        self.hub.__exit__(None, None, None)

    # --- set-up -----------------------------------------------------------------------------

    def install_runtime(self) -> Path:
        """Build (or reuse) the family's runtime through the daemon, as a user would."""
        done = self.cli("runtime", "install", self.family, timeout=BUILD_TIMEOUT_SECONDS)
        if done.returncode != 0:
            raise AssertionError(f"building the {self.family} runtime failed:\n{done.stderr}\n{self.daemon.log()}")
        return self.python

    def build_checkpoint(self, model: str, size: str = "tiny", seed: int = 0) -> Path:
        """A random-initialised checkpoint of ``model`` in its repo layout (cached per workdir)."""
        out = self.workdir / "checkpoints" / f"{model}-{size}-{seed}"
        if not out.exists():
            command = ["build", model, "--out", str(out), "--size", size, "--seed", str(seed)]
            self.run_python("-m", "tollama.testing.checkpoints", *command)
        return out

    def publish(self, model: str, checkpoint: Path | None = None) -> str:
        """Serve ``checkpoint`` (default: a tiny one) as the model's repo at its registry revision."""
        return publish_model(self.hub, model, checkpoint or self.build_checkpoint(model))

    def install(self, model: str, checkpoint: Path | None = None, **pull_body: Any) -> None:
        """Publish ``checkpoint`` (default: a tiny one) and pull it; the pull must succeed."""
        self.publish(model, checkpoint)
        events = self.pull(model, **pull_body)
        if events[-1].get("status") != "success":
            raise AssertionError(f"pulling {model} failed: {events[-3:]}")

    # --- what a user does -------------------------------------------------------------------

    def pull(self, model: str, **body: Any) -> list[dict[str, Any]]:
        return pull_events(self.daemon.base_url, {"model": model, **body}, timeout=CALL_TIMEOUT_SECONDS)

    def forecast(self, request: dict[str, Any]) -> httpx.Response:
        """``POST /api/forecast`` without streaming; the raw response (tests check status codes)."""
        return httpx.post(
            f"{self.daemon.base_url}/api/forecast",
            json={**request, "stream": False},
            timeout=CALL_TIMEOUT_SECONDS,
            trust_env=False,
        )

    def cli(self, *args: str, timeout: float = CALL_TIMEOUT_SECONDS, input_text: str | None = None):
        return run_cli(*args, env=self.daemon.cli_env(), timeout=timeout, input_text=input_text)

    def snapshot(self, model: str) -> Path:
        shown = httpx.post(f"{self.daemon.base_url}/api/show", json={"model": model}, timeout=30, trust_env=False)
        shown.raise_for_status()
        return Path(shown.json()["resolved"]["snapshot_path"])

    # --- the library itself -----------------------------------------------------------------

    def baseline(self, model: str, request: dict[str, Any], snapshot: Path | None = None) -> dict[str, Any]:
        """The family's library called in-process (in its runtime) on the pulled snapshot."""
        snapshot = snapshot or self.snapshot(model)
        done = self.run_python(
            "-m", "tollama.testing.checkpoints", "baseline", model, "--snapshot", str(snapshot),
            input_text=json.dumps(request),
        )  # fmt: skip
        return json.loads(done.stdout)

    def run_python(self, *args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the runtime's python (``HF_HUB_OFFLINE``: nothing may reach a hub)."""
        env = {**os.environ, **NEUTRAL_ENV, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
        done = subprocess.run(
            [str(self.python), *args],
            input=input_text,
            capture_output=True,
            text=True,
            env=env,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            raise AssertionError(f"{self.python} {' '.join(args)} failed:\n{done.stderr[-4000:]}")
        return done
