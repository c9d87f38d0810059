"""scripts/e2e_skills_test.sh (the README's skill smoke checks) passes against a live daemon."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tollama.testing.daemon import DaemonProcess

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_e2e_skills_script_passes(daemon: DaemonProcess) -> None:
    venv_bin = str(Path(sys.executable).parent)
    env = {**daemon.cli_env(), "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "e2e_skills_test.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert "[tollama CLI] smoke: simple forecast" in done.stdout
    assert "[curl only] exit 6: timeout" in done.stdout
