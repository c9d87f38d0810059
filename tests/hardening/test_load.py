"""The load benchmark, small: 500 forecasts at 16 concurrency, zero errors, bounded RSS growth."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LOAD_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"


@pytest.mark.slow
def test_small_load_run_meets_its_targets():
    done = subprocess.run(
        [sys.executable, str(LOAD_SCRIPT), "--requests", "500", "--concurrency", "16", "--max-rss-growth-mb", "50"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "errors       0" in done.stdout
    assert "latency ms   p50" in done.stdout and "p99" in done.stdout
    assert "daemon RSS" in done.stdout and "not checked" not in done.stdout


def test_a_missed_target_exits_non_zero():
    done = subprocess.run(
        [sys.executable, str(LOAD_SCRIPT), "--requests", "20", "--concurrency", "2", "--max-p99-ms", "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "FAILED: p99" in done.stderr
