from __future__ import annotations

import pytest

from tollama.core.schemas import SeriesInput
from tollama.core.timecheck import check_time_index
from tollama.core.timeindex import forecast_timestamps, infer_freq, parse_freq


def _series(timestamps, freq):
    return SeriesInput(id="s", freq=freq, timestamps=timestamps, target=[1.0] * len(timestamps))


@pytest.mark.parametrize(
    ("timestamps", "freq", "expected"),
    [
        (["2025-01-01", "2025-01-02"], "D", ["2025-01-03", "2025-01-04"]),
        (["2024-12-01", "2025-01-01"], "MS", ["2025-02-01", "2025-03-01"]),
        (["2025-01-31"], "M", ["2025-02-28", "2025-03-31"]),
        (["2025-01-01T22:00:00"], "H", ["2025-01-01T23:00:00", "2025-01-02T00:00:00"]),
        (["2025-01-09"], "W", ["2025-01-12", "2025-01-19"]),  # Thursday -> next Sundays, no step lost
        (["2025-01-12"], "W", ["2025-01-19", "2025-01-26"]),
    ],
)
def test_forecast_steps_start_one_step_after_the_last_timestamp(timestamps, freq, expected):
    assert forecast_timestamps(_series(timestamps, freq), 2) == expected


def test_no_timestamps_or_freq_means_no_forecast_timestamps():
    assert forecast_timestamps(SeriesInput(id="s", target=[1.0]), 3) is None
    assert forecast_timestamps(_series(["2025-01-01"], None), 3) is None


def test_unknown_freq_and_bad_timestamps_are_named():
    with pytest.raises(ValueError, match="series 's': freq 'fortnight' is not a pandas frequency"):
        check_time_index(_series(["2025-01-01"], "fortnight"))
    with pytest.raises(ValueError, match=r"timestamps\[1\] 'yesterday' cannot be parsed"):
        check_time_index(_series(["2025-01-01", "yesterday"], "D"))


def test_freq_aliases_and_inference():
    assert parse_freq("H") == parse_freq("h")
    assert infer_freq(["2025-01-01", "2025-01-02", "2025-01-03"]) == "D"
    assert infer_freq(["2025-01-01", "2025-01-02", "2025-01-07"]) is None
