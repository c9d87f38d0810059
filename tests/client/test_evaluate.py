"""``Client.evaluate`` / ``cross_validation`` / ``level`` and ``tollama eval`` against a real daemon (mock)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tollama import AsyncClient, Client
from tollama.testing.daemon import DaemonProcess, run_cli


def _frame() -> pd.DataFrame:
    parts = []
    for sid, n, offset in (("a", 12, 0.0), ("b", 9, 100.0)):
        parts.append(pd.DataFrame({
            "unique_id": sid, "ds": pd.date_range("2025-01-01", periods=n, freq="D"),
            "y": offset + np.arange(n, dtype=float) ** 1.5,
        }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def test_evaluate_returns_leaderboard_and_series_frames(client: Client):
    result = client.evaluate(_frame(), models=["mock"], h=3, n_windows=2, metrics=["mae", "wql"], level=[80])
    board = result.leaderboard
    assert list(board["model"]) == ["mock"] and board.loc[0, "rank"] == 1
    frame = _frame()
    expected = []
    for sid in ("a", "b"):
        y = frame.loc[frame.unique_id == sid, "y"].to_numpy()
        for cut in (len(y) - 6, len(y) - 3):
            expected.append(np.mean(np.abs(y[cut : cut + 3] - y[cut - 1])))
    assert board.loc[0, "mae"] == pytest.approx(np.mean(expected))
    series = result.series
    assert set(series.columns) >= {"unique_id", "model", "best", "mae", "wql"}
    assert set(series["unique_id"]) == {"a", "b"} and series["best"].all()


def test_cross_validation_is_nixtla_shaped(client: Client):
    cv = client.cross_validation(_frame(), models=["mock"], h=3, n_windows=2, level=[80, 95])
    assert list(cv.columns[:5]) == ["unique_id", "ds", "cutoff", "y", "mock"]
    assert {"mock-lo-80", "mock-hi-80", "mock-lo-95", "mock-hi-95"} <= set(cv.columns)
    assert len(cv) == 2 * 2 * 3
    a_first = cv[(cv.unique_id == "a") & (cv.cutoff == pd.Timestamp("2025-01-06"))]
    y = _frame().query("unique_id == 'a'")["y"].to_numpy()
    assert list(a_first["ds"]) == list(pd.date_range("2025-01-07", periods=3, freq="D"))
    assert a_first["y"].tolist() == pytest.approx(y[6:9].tolist())
    assert a_first["mock"].tolist() == pytest.approx([y[5]] * 3)  # mock repeats the last value
    assert (cv["mock-lo-80"] <= cv["mock-hi-80"]).all()


def test_forecast_takes_level_as_nixtla_does(client: Client):
    result = client.forecast(_frame(), model="mock", horizon=2, level=[80])
    assert {"mock-lo-80", "mock-hi-80", "q0.1", "q0.9"} <= set(result.df.columns)
    assert result.request["quantiles"] == [0.1, 0.9]


def test_async_client_evaluates_the_same(mock_daemon: DaemonProcess):
    async def run():
        async with AsyncClient(base_url=mock_daemon.base_url) as client:
            result = await client.evaluate(_frame(), models=["mock"], h=3, metrics=["mae"])
            cv = await client.cross_validation(_frame(), models=["mock"], h=3)
            return result, cv

    result, cv = asyncio.run(run())
    assert list(result.leaderboard["model"]) == ["mock"] and len(cv) == 6


def _cli(daemon: DaemonProcess, *args: str):
    return run_cli("eval", *args, env=daemon.cli_env())


def test_cli_prints_the_table_writes_csv_json_png_and_shows_progress(mock_daemon: DaemonProcess, tmp_path: Path):
    data = tmp_path / "data.csv"
    _frame().to_csv(data, index=False)
    out, png = tmp_path / "board.csv", tmp_path / "board.png"
    ran = _cli(mock_daemon, "mock", "--csv", str(data), "--horizon", "3", "--windows", "2",
               "--metrics", "mae,wql", "--output", str(out), "--plot", str(png))  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "MODEL" in ran.stdout and "mock" in ran.stdout and "MAE" in ran.stdout
    assert "window" in ran.stderr and "series forecasts done" in ran.stderr  # the progress bar is on stderr
    board = pd.read_csv(out)
    assert list(board["model"]) == ["mock"] and board.loc[0, "series"] == 2
    with Image.open(png) as image:
        assert image.size[0] > 300 and image.size[1] > 200
        extrema = image.convert("L").getextrema()
        assert extrema[0] < extrema[1]  # not blank
    as_json = _cli(
        mock_daemon, "mock", "--csv", str(data), "--horizon", "3", "--json", "--output", str(tmp_path / "all.json")
    )
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["leaderboard"][0]["model"] == "mock"
    assert json.loads((tmp_path / "all.json").read_text())["done"] is True


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["mock", "--dataset", "m5-daily"], 2, "unknown data set 'm5-daily'; choose one of: m1-yearly"),
        (["mock", "--csv", "nope.csv", "--horizon", "2"], 2, "nope.csv does not exist"),
        (["mock", "--dataset", "m3-yearly", "--output", "x.txt"], 2, "use a .csv"),
        (["mock", "--dataset", "m3-yearly", "--plot", "x.jpg"], 2, "use a .png"),
        (["mock", "mock", "--dataset", "m3-yearly", "--series", "3"], 2, "listed more than once"),
        (["mock", "--dataset", "m3-yearly", "--series", "3", "--windows", "0"], 2, "windows"),
        (["mock", "--dataset", "m3-yearly", "--series", "3", "--metrics", "accuracy"], 2, "metrics"),
        (["chronos2", "--dataset", "m3-yearly", "--series", "3"], 4, "chronos2"),
    ],
)
def test_cli_bad_inputs_exit_with_their_codes(mock_daemon: DaemonProcess, args, code, message):
    ran = _cli(mock_daemon, *args)
    assert ran.returncode == code, ran.stderr
    assert message in ran.stderr and "Traceback" not in ran.stderr
    assert ran.stderr.strip().splitlines()[0].startswith("Error:"), ran.stderr  # no empty progress bar first
