"""``tollama run`` with --csv, --output, --plot and the SageMaker dialect, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from tollama.testing.daemon import DaemonProcess, run_cli

LONG_CSV = """unique_id,ds,y,price
north,2025-01-01,1,9.5
north,2025-01-02,2,9.5
north,2025-01-03,3,9.0
north,2025-01-04,4,9.0
south,2025-01-01,10,5
south,2025-01-02,20,5
south,2025-01-03,30,5
south,2025-01-04,40,6
"""


def _run(daemon: DaemonProcess, *args: str):
    return run_cli("run", "mock", "--no-stream", "--no-autostart", *args, env=daemon.cli_env())


def test_long_csv_to_csv_table_and_png(mock_daemon: DaemonProcess, tmp_path: Path):
    data = tmp_path / "sales.csv"
    data.write_text(LONG_CSV)
    out, png = tmp_path / "forecast.csv", tmp_path / "forecast.png"
    ran = _run(
        mock_daemon, "--csv", str(data), "--horizon", "3", "--quantiles", "0.1,0.9",
        "--output", str(out), "--plot", str(png), "--max-plots", "1",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "north (mock)" in ran.stdout and "2025-01-05" in ran.stdout  # the usual table still prints
    assert f"wrote {out}" in ran.stderr and f"wrote {png}" in ran.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["unique_id", "ds", "mean", "q0.1", "q0.9"]
    assert table["unique_id"].tolist() == ["north"] * 3 + ["south"] * 3
    assert table["ds"].tolist() == ["2025-01-05", "2025-01-06", "2025-01-07"] * 2
    assert table["mean"].tolist() == [4.0] * 3 + [40.0] * 3
    assert "covariate 'price'" in ran.stderr  # the extra column was sent as a past covariate
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (1000, 300)  # one series: --max-plots 1


def test_single_series_csv_with_named_columns_to_json(mock_daemon: DaemonProcess, tmp_path: Path):
    data = tmp_path / "visits.csv"
    data.write_text("date,count\n2025-01-01 00:00,5\n2025-01-01 01:00,6\n2025-01-01 02:00,7\n")
    out = tmp_path / "visits.json"
    ran = _run(
        mock_daemon, "--csv", str(data), "--time-col", "date", "--target-col", "count",
        "--horizon", "2", "--output", str(out), "--json",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    saved = json.loads(out.read_text())
    assert saved == json.loads(ran.stdout)  # the raw response, as --json prints it
    forecast = saved["forecasts"][0]
    assert forecast["id"] == "visits" and forecast["freq"] == "h"
    assert forecast["timestamps"] == ["2025-01-01T03:00:00", "2025-01-01T04:00:00"]


def test_csv_whose_frequency_cannot_be_inferred_needs_freq(mock_daemon: DaemonProcess, tmp_path: Path):
    data = tmp_path / "odd.csv"
    data.write_text("ds,y\n2025-01-01,1\n2025-01-02,2\n2025-01-09,3\n")
    ran = _run(mock_daemon, "--csv", str(data), "--horizon", "1")
    assert ran.returncode == 2
    assert ran.stderr.startswith("Error: cannot infer the frequency of series 'odd' (irregular timestamps)")
    assert "--freq D" in ran.stderr and "Traceback" not in ran.stderr
    fixed = _run(mock_daemon, "--csv", str(data), "--horizon", "1", "--freq", "D", "--json")
    assert fixed.returncode == 0 and json.loads(fixed.stdout)["forecasts"][0]["timestamps"] == ["2025-01-10"]
    # The six missing days are gaps, said out loud (issue 15, point 1), not a shifted series.
    assert "series 'odd': 6 missing 'D' steps (the first at 2025-01-03)" in json.loads(fixed.stdout)["warnings"][0]


def test_a_csv_with_missing_days_is_forecast_from_its_real_last_day_with_a_warning(
    mock_daemon: DaemonProcess, tmp_path: Path
):
    """The issue's case: Thu..Sun, then three days missing, then Thu..Sat, run with --freq D."""
    days = ["2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05", "2025-01-09", "2025-01-10", "2025-01-11"]
    data = tmp_path / "shop.csv"
    data.write_text("ds,y\n" + "".join(f"{day},{i}\n" for i, day in enumerate(days, 1)))
    ran = _run(mock_daemon, "--csv", str(data), "--horizon", "2", "--freq", "D")
    assert ran.returncode == 0, ran.stderr
    assert "series 'shop': 3 missing 'D' steps (the first at 2025-01-06)" in ran.stderr
    assert "2025-01-12" in ran.stdout and "2025-01-13" in ran.stdout  # after the real last day, not shifted


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "{data}"], "--csv needs --horizon N"),
        (
            ["--csv", "{data}", "--horizon", "1", "--output", "{tmp}/out.xlsx"],
            "use a .csv (long forecast table) or .json",
        ),
        (["--csv", "{data}", "--input", "{data}", "--horizon", "1"], "--csv and --input exclude each other"),
        (["--csv", "{tmp}/missing.csv", "--horizon", "1"], "does not exist"),
        (["--csv", "{data}", "--horizon", "1", "--target-col", "sales"], "has no column 'sales' (columns: ds, y)"),
        (["--csv", "{data}", "--horizon", "1", "--time-col", "date"], "name it with --time-col"),
        (["--csv", "{data}", "--horizon", "1", "--future", "{data}", "--time-col", "when"], "no column 'when'"),
        (["--csv", "{tmp}/inf.csv", "--horizon", "1"], "series 'inf': target 'y' is inf at 2025-01-02"),
    ],
)
def test_bad_csv_invocations_exit_2_with_one_line(args, message, mock_daemon: DaemonProcess, tmp_path: Path):
    data = tmp_path / "d.csv"
    data.write_text("ds,y\n2025-01-01,1\n2025-01-02,2\n2025-01-03,3\n")
    (tmp_path / "inf.csv").write_text("ds,y\n2025-01-01,1\n2025-01-02,inf\n2025-01-03,3\n")
    ran = _run(mock_daemon, *[a.format(data=data, tmp=tmp_path) for a in args])
    assert ran.returncode == 2 and message in ran.stderr and len(ran.stderr.strip().splitlines()) == 1


def test_sagemaker_json_input_with_plot_of_its_history(mock_daemon: DaemonProcess, tmp_path: Path):
    payload = {
        "inputs": [
            {"target": [1.0, 2.0, 3.0, 4.0], "item_id": "a", "start": "2025-01-01"},
            {"target": [5.0, 6.0], "start": "2025-02-01"},
        ],
        "parameters": {"prediction_length": 2, "freq": "D"},
    }
    request, png = tmp_path / "payload.json", tmp_path / "plot.png"
    request.write_text(json.dumps(payload))
    ran = _run(mock_daemon, "--input", str(request), "--json", "--plot", str(png))
    assert ran.returncode == 0, ran.stderr
    response = json.loads(ran.stdout)
    assert [f["id"] for f in response["forecasts"]] == ["a", "item_1"]
    assert response["forecasts"][0]["quantiles"].keys() == {"0.1", "0.5", "0.9"}  # the dialect's default levels
    assert response["forecasts"][0]["timestamps"] == ["2025-01-05", "2025-01-06"]
    with Image.open(png) as image:
        assert image.size == (1000, 600)
