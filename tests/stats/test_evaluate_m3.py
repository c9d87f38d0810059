"""The stats family on M3 quarterly reproduces the published fev / Chronos Benchmark II MASE."""

from __future__ import annotations

import pytest

from tollama import Client
from tollama.client.benchmarks import load_benchmark, published_for
from tollama.testing.daemon import DaemonProcess

pytestmark = pytest.mark.slow


def test_m3_quarterly_matches_published_auto_ets_and_seasonal_naive(stats_daemon: DaemonProcess):
    client = Client(base_url=stats_daemon.base_url, timeout=1200)  # one window of 756 AutoETS fits
    bench = load_benchmark("m3-quarterly")
    assert (len(bench.series), bench.horizon, bench.seasonality) == (756, 8, 4)
    result = client.evaluate(
        {"series": bench.series}, models=["auto-ets", "seasonal-naive"], h=bench.horizon,
        seasonality=bench.seasonality, metrics=["mase", "wql"],
    )  # fmt: skip
    board = result.leaderboard.set_index("model")
    for model, published in (("auto-ets", 1.1436), ("seasonal-naive", 1.4253)):
        assert published_for("m3-quarterly", model)["mase"] == pytest.approx(published, abs=5e-5)
        assert board.loc[model, "mase"] == pytest.approx(published, rel=0.005), model
        assert board.loc[model, "series"] == 756 and board.loc[model, "error"] is None
