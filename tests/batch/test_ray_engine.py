"""The Ray engine on a local cluster the test starts on 127.0.0.1 (and always shuts down).

Few and small: Ray on two cores is slow. The cluster's workers inherit this module's
``TOLLAMA_HOME``, where each actor's embedded daemon pulls the builtin models it needs.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from batch_inputs import long_frame, read_output, write_parquet

from tollama import Client
from tollama.batch import forecast_dataset, forecast_files
from tollama.testing.daemon import DaemonProcess, run_cli

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # Ray on two busy cores takes minutes
HORIZON = 3


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Three CPUs: two forecasting actors plus one for reading and shuffling."""
    home = tmp_path_factory.mktemp("ray-home")
    previous = os.environ.get("TOLLAMA_HOME")
    os.environ["TOLLAMA_HOME"] = str(home)
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    ray.init(
        address="local", num_cpus=3, include_dashboard=False, _node_ip_address="127.0.0.1", _temp_dir=temp_dir,
        logging_level="WARNING", log_to_driver=False,
    )  # fmt: skip
    try:
        yield home
    finally:
        ray.shutdown()
        if previous is None:
            os.environ.pop("TOLLAMA_HOME", None)
        else:
            os.environ["TOLLAMA_HOME"] = previous


def test_same_output_as_the_local_engine_and_api_forecast(cluster: Path, tmp_path: Path) -> None:
    frame = long_frame(60, 40)
    source = write_parquet(frame, tmp_path / "in.parquet", row_group_rows=500)
    arguments = {"horizon": HORIZON, "quantiles": [0.1, 0.5, 0.9], "chunk_series": 20}
    with DaemonProcess(tmp_path / "daemon-home") as daemon:
        assert run_cli("pull", "seasonal-naive", env=daemon.cli_env()).returncode == 0
        local = forecast_files("seasonal-naive", source, tmp_path / "local", base_url=daemon.base_url, **arguments)
        by_hand = Client(base_url=daemon.base_url).forecast(frame, model="seasonal-naive", horizon=HORIZON,
                                                            quantiles=[0.1, 0.5, 0.9])  # fmt: skip
    on_ray = forecast_files("seasonal-naive", source, tmp_path / "ray", engine="ray", workers=2, **arguments)
    assert (on_ray.series, on_ray.failed, local.series) == (60, 0, 60)
    assert (tmp_path / "ray" / "_SUCCESS").exists()
    ray_rows, local_rows = read_output(tmp_path / "ray"), read_output(tmp_path / "local")
    pd.testing.assert_frame_equal(ray_rows, local_rows)  # to the last digit
    expected = by_hand.df.assign(model="seasonal-naive").sort_values(["unique_id", "ds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ray_rows, expected, check_dtype=False)

    # The Python API: a Ray Dataset in, a Ray Dataset out; a refused series is a row with its error.
    bad = long_frame(1, 5).assign(unique_id="dup")
    bad.loc[3, "ds"] = bad.loc[2, "ds"]
    dataset = ray.data.from_pandas(pd.concat([frame.iloc[:200], bad], ignore_index=True))
    rows = forecast_dataset(dataset, model="seasonal-naive", horizon=HORIZON, chunks=2).to_pandas()
    assert rows.loc[rows["unique_id"] == "dup", "error"].str.contains("two rows at").all()
    good = rows[rows["error"].isna()].sort_values(["unique_id", "ds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(good[["unique_id", "ds", "mean"]], ray_rows[ray_rows["unique_id"] < "s00005"]
                                  [["unique_id", "ds", "mean"]].reset_index(drop=True), check_dtype=False)  # fmt: skip


def _forecaster_pids() -> list[int]:
    """Processes of this test's cluster running the forecasting actor (Ray names them after it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"ChunkForecaster" in command and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_job_is_retried_and_the_output_is_whole(cluster: Path, tmp_path: Path) -> None:
    source = write_parquet(long_frame(60, 20), tmp_path / "in.parquet")
    out = tmp_path / "out"
    outcome: dict[str, object] = {}

    def job() -> None:
        try:
            outcome["summary"] = forecast_files(
                "mock", source, out, horizon=HORIZON, engine="ray", workers=2, chunk_series=5,
                options={"delay_seconds": 0.5},
            )  # fmt: skip
        except BaseException as exc:
            outcome["error"] = exc

    runner = threading.Thread(target=job)
    runner.start()
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and runner.is_alive() and time.monotonic() < deadline:
        if out.exists() and len(list(out.glob("part-*.parquet"))) >= 2 and (pids := _forecaster_pids()):
            killed = pids[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    runner.join(timeout=300)
    assert killed is not None, "no forecasting actor was found to kill before the job ended"
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    assert summary.series == 60 and summary.failed == 0  # type: ignore[attr-defined]
    rows = read_output(out)
    assert len(rows) == 60 * HORIZON and not rows.duplicated(["unique_id", "ds"]).any()
    assert (out / "_SUCCESS").exists()
