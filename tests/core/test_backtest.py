"""Window cutoffs and series cutting of rolling-origin backtests."""

from __future__ import annotations

from tollama.core.backtest import cut_series, cut_windows, cutoff_label, window_cutoffs
from tollama.core.schemas import SeriesInput


def _series(sid: str, n: int, **extra) -> SeriesInput:
    stamps = [f"2024-01-{d:02d}" for d in range(1, n + 1)]
    return SeriesInput(id=sid, freq="D", timestamps=stamps, target=[float(v) for v in range(n)], **extra)


def test_last_window_leaves_exactly_horizon_and_earlier_ones_step_apart():
    assert window_cutoffs(20, horizon=4, windows=3, step=2) == [12, 14, 16]
    assert window_cutoffs(20, horizon=4, windows=1, step=4) == [16]


def test_too_short_windows_are_none():
    assert window_cutoffs(6, horizon=4, windows=3, step=2) == [None, None, 2]
    assert window_cutoffs(4, horizon=4, windows=1, step=4) == [None]


def test_unequal_lengths_cut_from_each_series_end_and_warn_for_skipped_windows():
    long, short = _series("long", 20), _series("short", 9)
    grouped, warnings = cut_windows([long, short], horizon=4, windows=3, step=3)
    assert [[(c.series.id, c.cutoff) for c in cuts] for cuts in grouped] == [
        [("long", 10)],
        [("long", 13), ("short", 2)],
        [("long", 16), ("short", 5)],
    ]
    assert warnings == ["series 'short' (9 values) is too short for window 0; skipped there"]
    last_short = grouped[2][1].series
    assert last_short.target == [0.0, 1.0, 2.0, 3.0, 4.0] and last_short.actuals == [5.0, 6.0, 7.0, 8.0]
    assert cutoff_label(grouped[2][1]) == "2024-01-05"


def test_known_future_covariates_come_from_after_the_cutoff_past_ones_are_cut():
    n = 10
    series = _series(
        "s",
        n,
        past_covariates={"promo": [float(10 + i) for i in range(n)], "temp": [float(20 + i) for i in range(n)]},
        future_covariates={"promo": []},
    )
    cut = cut_series(series, cutoff=6, horizon=3)
    assert cut.past_covariates == {"promo": [10.0, 11.0, 12.0, 13.0, 14.0, 15.0], "temp": [20.0 + i for i in range(6)]}
    assert cut.future_covariates == {"promo": [16.0, 17.0, 18.0]}
    assert cut.actuals == [6.0, 7.0, 8.0] and cut.timestamps == series.timestamps[:6]


def test_gaps_in_the_held_out_part_skip_the_window():
    series = SeriesInput(id="g", target=[1.0, 2.0, 3.0, None, 5.0])
    grouped, warnings = cut_windows([series], horizon=2, windows=1, step=2)
    assert grouped == [[]] and "gaps in the held-out part of window 0" in warnings[0]
