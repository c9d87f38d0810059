"""What the benchmark scripts share: their own daemon, a lean HTTP client, and figure lines.

The client is ``http.client`` on one keep-alive connection per thread: a benchmark of the
daemon should not time a heavy client library. Each figure is printed with its baseline and
ratio, and a target verdict where there is one; ``Report.exit_code`` is 1 when any missed.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tollama.core.registry import get_spec
from tollama.testing.daemon import DaemonProcess
from tollama.testing.families import FamilyRig

ROOT = Path(__file__).resolve().parents[1]


class LeanClient:
    """One keep-alive HTTP/1.1 connection; ``post`` returns (status, body bytes)."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parsed = httpx.URL(base_url)
        self._conn = http.client.HTTPConnection(parsed.host, parsed.port, timeout=600)
        self._headers = {"Content-Type": "application/json", **(headers or {})}

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        try:
            return self._post(path, body)
        except (ConnectionError, http.client.RemoteDisconnected):  # the server closed an idle keep-alive
            self._conn.close()
            return self._post(path, body)

    def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self._conn.request("POST", path, body=body, headers=self._headers)
        response = self._conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self._conn.close()


@contextlib.contextmanager
def own_daemon(model: str, env: dict[str, str] | None = None) -> Iterator[DaemonProcess]:
    """A daemon on a free loopback port with a temporary home, ``model`` pulled."""
    with tempfile.TemporaryDirectory(prefix="tollama-bench-") as home, DaemonProcess(Path(home), env=env) as daemon:
        pulled = httpx.post(
            f"{daemon.base_url}/api/pull", json={"model": model, "stream": False}, timeout=1800, trust_env=False
        )
        if pulled.status_code != 200:
            raise SystemExit(
                f"cannot pull '{model}' into a fresh daemon ({pulled.status_code}: {pulled.text.strip()}); "
                "pass --base-url of a daemon that has it installed"
            )
        yield daemon


def real_checkpoint(rig: FamilyRig, model: str, workdir: Path) -> Path:
    """``model`` at its published architecture size, random weights, in ``workdir`` (built once)."""
    out = workdir / f"{model}-real"
    if not (out / "config.json").exists():
        print(f"# building a real-size random {model} checkpoint in {out}", flush=True)
        rig.run_python("-m", "tollama.testing.checkpoints", "build", model, "--size", "real", "--out", str(out))
    return out


@contextlib.contextmanager
def family_rig(model: str, workdir: Path, env: dict[str, str] | None = None) -> Iterator[tuple[FamilyRig, Path]]:
    """A daemon (``FamilyRig``) serving ``model`` from a real-size random checkpoint; and that checkpoint.

    The family's runtime is built on first use (``.tollama-test/runtimes``) and the checkpoint is
    kept in ``workdir``, so a second rig there (batching off, ...) reuses both.
    """
    family = get_spec(model).family
    env = {"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "3600", **(env or {})}
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rig-", dir=workdir) as rigdir, FamilyRig(family, Path(rigdir), env) as rig:
        checkpoint = real_checkpoint(rig, model, workdir)
        rig.publish(model, checkpoint)
        accept = {"accept_license": True} if get_spec(model).license.needs_acceptance else {}
        events = rig.pull(model, **accept)
        if events[-1].get("status") != "success":
            raise SystemExit(f"pulling {model} from the local hub failed: {events[-1]}")
        yield rig, checkpoint


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def machine() -> str:
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{platform.node()} ({platform.machine()}, {cores} cores, load {load:.1f}), Python {sys.version.split()[0]}"


@dataclass
class Report:
    """Figure lines as they are measured; remembers which targets were missed."""

    missed: list[str] = field(default_factory=list)

    def header(self, command: str) -> None:
        print(f"# {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {machine()}")
        print(f"# {command}")

    def figure(
        self,
        name: str,
        value: float,
        unit: str,
        baseline: float | None = None,
        baseline_name: str = "",
        target: str = "",
        met: bool | None = None,
    ) -> None:
        text = f"{name:<34} {value:10.3f} {unit}"
        if baseline is not None:
            ratio = value / baseline if baseline else float("inf")
            text += f"   baseline {baseline:.3f} {unit} ({baseline_name}), ratio {ratio:.2f}x"
        if target:
            verdict = "ok" if met else "MISSED"
            text += f"   target {target}: {verdict}"
            if not met:
                self.missed.append(f"{name}: {value:.3f} {unit}, target {target}")
        print(text, flush=True)

    def at_most(self, name: str, value: float, unit: str, limit: float, limit_unit: str = "") -> None:
        """A figure whose target is an upper bound (overheads, ratios, differences)."""
        suffix = f" {limit_unit}" if limit_unit else ""
        self.figure(name, value, unit, target=f"<= {limit:g}{suffix}", met=value <= limit)

    @property
    def exit_code(self) -> int:
        for line in self.missed:
            print(f"FAILED: {line}", file=sys.stderr)
        return 1 if self.missed else 0
