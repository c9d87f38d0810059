"""Every timestamp is checked; missing steps become gaps, never a shift (issue 15, point 1)."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from tollama.core.schemas import SeriesInput
from tollama.core.timecheck import check_time_index, with_gaps
from tollama.core.timeindex import forecast_timestamps


def _series(timestamps, freq=None, target=None):
    target = target if target is not None else [float(i) for i in range(len(timestamps))]
    return SeriesInput(id="s", freq=freq, timestamps=timestamps, target=target)


@pytest.mark.parametrize(
    ("timestamps", "freq", "message"),
    [
        (["2025-01-02", "2025-01-01", "2025-01-03"], "D", r"timestamps\[1\] '2025-01-01' comes before timestamps\[0\]"),
        (["2025-01-01", "2025-01-02", "2025-01-02"], "D", r"timestamps\[2\] '2025-01-02' repeats timestamps\[1\]"),
        (["2025-01-01", "not a date", "2025-01-03"], "D", r"timestamps\[1\] 'not a date' cannot be parsed"),
        (["2025-01-01", "01/02/2025", "2025-01-03"], "D", r"timestamps\[1\] '01/02/2025' cannot be parsed"),
        (["2025-01-01", "2300-01-01"], None, r"timestamps\[1\] '2300-01-01' cannot be parsed .*2262"),
        (["garbage", "2025-01-01"], None, r"timestamps\[0\] 'garbage' cannot be parsed"),
        (["2025-01-01", "2025-01-02T12:00:00"], "D", r"timestamps\[1\] .* is not a whole number of 'D' steps"),
        (["2025-01-01", "2025-01-15"], "MS", r"timestamps\[1\] .* is not a whole number of 'MS' steps"),
        (["2025-01-01", "2025-01-02"], "-1D", "freq '-1D' is not a positive step"),
        (["2025-01-01", "2025-01-02"], "0D", "freq '0D' is not a positive step"),
        (["2025-01-01", "2025-01-02"], "", "freq is empty"),
        (["2025-01-01", "2025-01-02"], "10000000D", "more than 100 years"),
        (["2025-01-01", "2030-01-01"], "s", "span 157766401 steps of 's', above the limit"),
    ],
)
def test_bad_time_indexes_name_the_series_and_the_first_bad_position(timestamps, freq, message):
    with pytest.raises(ValueError, match=f"series 's'.*{message}"):
        check_time_index(_series(timestamps, freq))


def test_missing_steps_become_gaps_never_a_shift():
    # Thursday..Sunday, then Wednesday: Mon/Tue missing. Read as regular, Wednesday's value lands on Monday.
    stamps = ["2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05", "2025-01-08"]
    series = _series(stamps, "D", [4.0, 5.0, 6.0, 7.0, 3.0])
    check = check_time_index(series)
    assert (check.gaps, check.missing) == (2, ("2025-01-06", "2025-01-07"))
    filled = with_gaps(series, check)
    assert filled.target == [4.0, 5.0, 6.0, 7.0, None, None, 3.0]
    assert filled.timestamps == [*stamps[:4], "2025-01-06", "2025-01-07", "2025-01-08"]


def test_gaps_on_anchored_and_sub_daily_grids():
    monthly = _series(["2024-11-01", "2025-01-01", "2025-02-01"], "MS")
    assert check_time_index(monthly).missing == ("2024-12-01",)
    hourly = _series(["2025-01-01T00:00:00", "2025-01-01T03:00:00"], "h")
    assert with_gaps(hourly, check_time_index(hourly)).timestamps == [
        "2025-01-01T00:00:00",
        "2025-01-01T01:00:00",
        "2025-01-01T02:00:00",
        "2025-01-01T03:00:00",
    ]


def test_regular_series_pass_unchanged_and_freq_is_inferred():
    series = _series(["2025-01-01", "2025-01-02", "2025-01-03"])
    check = check_time_index(series)
    assert (check.freq, check.gaps) == ("D", 0)
    assert with_gaps(series, check) is series
    # A Thursday first step on 'W' (Sundays) is allowed, as forecast steps start one step on.
    assert check_time_index(_series(["2025-01-09", "2025-01-12", "2025-01-19"], "W")).gaps == 0


def test_gaps_with_past_covariates_are_refused():
    series = SeriesInput(
        id="s", freq="D", timestamps=["2025-01-01", "2025-01-03"], target=[1.0, 2.0], past_covariates={"x": [1.0, 2.0]}
    )
    with pytest.raises(ValueError, match=r"misses 1 'D' steps .* has past covariates"):
        with_gaps(series, check_time_index(series))


def test_forecast_steps_past_2262_are_a_value_error():
    with pytest.raises(ValueError, match=r"series 's': 3 steps of '36500D' .* past the last date"):
        forecast_timestamps(_series(["2200-01-01"], "36500D"), 3)


def test_a_million_points_are_checked_well_under_a_second():
    stamps = pd.date_range("2000-01-01", periods=1_000_000, freq="min").strftime("%Y-%m-%dT%H:%M:%S").tolist()
    stamps[500_000] = stamps[500_001]  # a repeat in the middle: every timestamp is looked at
    series = SeriesInput.model_construct(id="big", freq="min", timestamps=stamps, target=[1.0] * len(stamps))
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"timestamps\[500001\] .* repeats timestamps\[500000\]"):
        check_time_index(series)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    pd.to_datetime(stamps)  # the one parse no check can skip, timed on this (maybe busy) machine
    parse = time.perf_counter() - started
    # About 0.15 s on an idle core; a loop over the points in Python would take tens of seconds.
    assert elapsed < max(1.0, 4 * parse), (elapsed, parse)
