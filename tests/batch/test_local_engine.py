"""``tollama batch`` on the local engine against a real daemon: chunks, resume, errors, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from batch_inputs import long_frame, read_output, write_parquet

from tollama import Client
from tollama.batch import forecast_files
from tollama.testing.daemon import DaemonProcess, run_cli

HORIZON = 4


@pytest.fixture
def pulled(daemon: DaemonProcess) -> DaemonProcess:
    for model in ("mock", "seasonal-naive", "auto-ets"):
        assert run_cli("pull", model, env=daemon.cli_env()).returncode == 0
    return daemon


def test_chunks_hold_whole_series_and_equal_api_forecast(pulled: DaemonProcess, tmp_path: Path) -> None:
    frame = long_frame(250, 30)
    source = write_parquet(frame, tmp_path / "in.parquet", row_group_rows=1000)  # series straddle row groups
    summary = forecast_files(
        "seasonal-naive", source, tmp_path / "out", horizon=HORIZON, quantiles=[0.1, 0.9],
        chunk_series=100, base_url=pulled.base_url,
    )  # fmt: skip
    assert (summary.series, summary.failed, summary.chunks) == (250, 0, 3)
    parts = [pd.read_parquet(p) for p in sorted((tmp_path / "out").glob("part-*.parquet"))]
    assert [p["unique_id"].nunique() for p in parts] == [100, 100, 50]
    assert set.intersection(*(set(p["unique_id"]) for p in parts)) == set()
    assert all((p.groupby("unique_id").size() == HORIZON).all() for p in parts)
    assert (tmp_path / "out" / "_SUCCESS").exists()
    # The same series in one hand-made /api/forecast request give the same numbers, to the last digit.
    client = Client(base_url=pulled.base_url)
    by_hand = client.forecast(frame, model="seasonal-naive", horizon=HORIZON, quantiles=[0.1, 0.9])
    expected = by_hand.df.assign(model="seasonal-naive").sort_values(["unique_id", "ds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(read_output(tmp_path / "out"), expected, check_dtype=False)
    assert list(read_output(tmp_path / "out").columns) == ["unique_id", "ds", "mean", "q0.1", "q0.9", "model"]


def test_rerun_after_sigkill_finishes_missing_chunks_only(pulled: DaemonProcess, tmp_path: Path) -> None:
    source = write_parquet(long_frame(200, 20), tmp_path / "in.parquet")
    out = tmp_path / "out"
    args = [
        sys.executable, "-m", "tollama.cli.main", "batch", "mock", "--input", str(source), "--output", str(out),
        "--horizon", str(HORIZON), "--chunk-series", "20", "--options", '{"delay_seconds": 0.4}', "--json",
    ]  # fmt: skip
    env = {**os.environ, **pulled.cli_env()}
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(list(out.glob("part-*.parquet"))) < 3:  # wait for a real half-way point, not a fixed time
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read() if first.stderr else ""
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.kill()
        first.communicate()
    done_before = len(list(out.glob("part-*.parquet")))
    assert 3 <= done_before < 10 and not (out / "_SUCCESS").exists()
    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["resumed_chunks"] == done_before and summary["series"] == 200 and summary["failed"] == 0
    result = read_output(out)
    assert len(result) == 200 * HORIZON and not result.duplicated(["unique_id", "ds"]).any()
    assert result["unique_id"].nunique() == 200
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert (out / "_SUCCESS").exists()


def test_bad_series_go_to_the_errors_file_and_the_job_goes_on(pulled: DaemonProcess, tmp_path: Path) -> None:
    frame = long_frame(6, 30)
    short = long_frame(1, 3).assign(unique_id="short")  # auto-ets needs 7 values
    twice = long_frame(1, 10).assign(unique_id="twice")
    twice.loc[5, "ds"] = twice.loc[4, "ds"]
    backwards = long_frame(1, 10).assign(unique_id="backwards").iloc[[0, 1, 2, 4, 3, 5, 6, 7, 8, 9]]
    source = tmp_path / "in.csv"
    pd.concat([frame.iloc[:60], short, twice, backwards, frame.iloc[60:]]).to_csv(source, index=False)
    ran = run_cli(
        "batch", "auto-ets", "--input", str(source), "--output", str(tmp_path / "out"), "--horizon", "3",
        "--chunk-series", "4", env=pulled.cli_env(),
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "3 series failed" in ran.stderr and "_errors.parquet" in ran.stderr
    errors = pd.read_parquet(tmp_path / "out" / "_errors.parquet").set_index("unique_id")["error"]
    assert sorted(errors.index) == ["backwards", "short", "twice"]
    assert "short" in errors["short"] and "7" in errors["short"]  # the daemon's own message
    assert "two rows at" in errors["twice"]
    assert "sort the input" in errors["backwards"]
    result = read_output(tmp_path / "out")
    assert sorted(result["unique_id"].unique()) == [f"s{i:05d}" for i in range(6)]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (long_frame(2, 5).drop(columns=["y"]), "no column 'y'"),
        (long_frame(2, 5).rename(columns={"unique_id": "id", "ds": "time"}), "no column 'unique_id', 'ds'"),
        (pd.concat([long_frame(2, 5), long_frame(1, 5, start="2025-01-01")]), "appears in two places"),
    ],
)
def test_bad_input_files_are_refused_with_the_fix(
    pulled: DaemonProcess, tmp_path: Path, frame: pd.DataFrame, message: str
) -> None:
    source = write_parquet(frame, tmp_path / "in.parquet")
    ran = run_cli(
        "batch", "mock", "--input", str(source), "--output", str(tmp_path / "out"), "--horizon", "2",
        env=pulled.cli_env(),
    )  # fmt: skip
    assert ran.returncode == 2 and message in ran.stderr, ran.stderr
    assert not list((tmp_path / "out").glob("part-*"))


def test_output_folder_of_another_job_is_refused_unless_overwrite(pulled: DaemonProcess, tmp_path: Path) -> None:
    source = write_parquet(long_frame(5, 10), tmp_path / "in.parquet")
    out = tmp_path / "out"
    base = ["batch", "mock", "--input", str(source), "--output", str(out)]
    env = pulled.cli_env()
    assert run_cli(*base, "--horizon", "2", env=env).returncode == 0
    other = run_cli(*base, "--horizon", "3", env=env)
    assert other.returncode == 2 and "holds another job's files" in other.stderr and "--overwrite" in other.stderr
    assert "horizon: 2 there, 3 now" in other.stderr
    assert run_cli(*base, "--horizon", "3", "--overwrite", env=env).returncode == 0
    assert (read_output(out).groupby("unique_id").size() == 3).all()
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    refused = run_cli("batch", "mock", "--input", str(source), "--output", str(stranger), "--horizon", "2", env=env)
    assert refused.returncode == 2 and "notes.txt" in refused.stderr


def test_missing_model_and_unreachable_ray_address(pulled: DaemonProcess, tmp_path: Path) -> None:
    source = write_parquet(long_frame(2, 5), tmp_path / "in.parquet")
    env = pulled.cli_env()
    missing = run_cli(
        "batch", "auto-arima", "--input", str(source), "--output", str(tmp_path / "o1"), "--horizon", "2", env=env
    )
    assert missing.returncode == 4 and "tollama pull auto-arima" in missing.stderr
    pytest.importorskip("ray")
    unknown = run_cli(
        "batch", "no-such-model", "--input", str(source), "--output", str(tmp_path / "o3"), "--horizon", "2",
        "--engine", "ray", env=env,
    )  # fmt: skip
    assert unknown.returncode == 4 and "tollama list --available" in unknown.stderr
    port = pulled.port + 1 if pulled.port < 65535 else 1024  # nothing listens there (the daemon took its own)
    ray_cli = run_cli(
        "batch", "mock", "--input", str(source), "--output", str(tmp_path / "o2"), "--horizon", "2",
        "--engine", "ray", "--address", f"127.0.0.1:{port}", env=env, timeout=60,
    )  # fmt: skip
    assert ray_cli.returncode == 3 and f"cannot reach the Ray cluster at 127.0.0.1:{port}" in ray_cli.stderr
