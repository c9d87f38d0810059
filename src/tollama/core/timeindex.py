"""Frequencies and forecast timestamps, with pandas offsets.

``start_timestamp`` is the first *forecast* step: the last input timestamp plus one ``freq``
step (the seed README's example printed the last input timestamp instead; we chose the step
users plot against). Timestamps keep the input's style: dates stay dates.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from pandas.tseries.frequencies import to_offset

from tollama.core.schemas import SeriesInput

# pandas 2.2 renamed some aliases; accept the names users still type.
_ALIASES = {
    "H": "h",
    "T": "min",
    "S": "s",
    "L": "ms",
    "U": "us",
    "N": "ns",
    "M": "ME",
    "Q": "QE",
    "Y": "YE",
    "A": "YE",
}


@lru_cache(maxsize=256)
def parse_freq(freq: str) -> pd.DateOffset:
    """A pandas offset for ``freq``; ValueError with a clear message when unknown."""
    text = freq.strip()
    candidates = [_ALIASES.get(text, text), text]
    for candidate in candidates:
        try:
            return to_offset(candidate)
        except ValueError:
            continue
    raise ValueError(f"freq {freq!r} is not a pandas frequency (e.g. 'D', 'h', 'W', 'MS', '15min')")


def forecast_timestamps(series: SeriesInput, horizon: int) -> list[str] | None:
    """Timestamps of the forecast steps, or None when the series has no timestamps/freq."""
    if not series.timestamps or not series.freq:
        return None
    _parse_timestamp(series.id, series.timestamps[-1])  # a parse error names the series
    return list(_steps_after(series.timestamps[-1], series.freq, horizon))


@lru_cache(maxsize=1024)
def _steps_after(last_text: str, freq: str, horizon: int) -> tuple[str, ...]:
    """Cached per (last timestamp, freq, horizon): the series of one request mostly share them."""
    offset = parse_freq(freq)
    last = _parse_timestamp("", last_text)
    # Start one step after the last timestamp: date_range(start=last) would first roll an
    # off-anchor start (a Thursday for 'W-SUN') forward to the anchor and lose a step.
    steps = pd.date_range(start=last + offset, periods=horizon, freq=offset)
    if _is_date_only(last_text) and _all_midnight(steps):
        return tuple(steps.strftime("%Y-%m-%d"))
    return tuple(ts.isoformat() for ts in steps)


def check_time_index(series: SeriesInput) -> None:
    """ValueError naming the series when freq or timestamps cannot be read."""
    if series.freq:
        try:
            parse_freq(series.freq)
        except ValueError as exc:
            raise ValueError(f"series '{series.id}': {exc}") from None
    if series.timestamps:
        _parse_timestamp(series.id, series.timestamps[0])
        _parse_timestamp(series.id, series.timestamps[-1])


def infer_freq(timestamps: list[str]) -> str | None:
    """pandas' inferred frequency of the timestamps, or None when irregular or too short."""
    if len(timestamps) < 3:
        return None
    return _infer_freq(tuple(timestamps))


@lru_cache(maxsize=64)
def _infer_freq(timestamps: tuple[str, ...]) -> str | None:
    """Cached: the series of one request often share their timestamps, and parsing them is slow."""
    try:
        return pd.infer_freq(pd.DatetimeIndex(pd.to_datetime(list(timestamps))))
    except (ValueError, TypeError):
        return None


_PARSED: dict[str, pd.Timestamp] = {}
_PARSED_LIMIT = 4096


def _parse_timestamp(series_id: str, text: str) -> pd.Timestamp:
    """Parse and remember (bounded): the first and last timestamps repeat across series."""
    known = _PARSED.get(text)
    if known is not None:
        return known
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"series '{series_id}': timestamp {text!r} cannot be parsed") from exc
    if ts is pd.NaT:
        raise ValueError(f"series '{series_id}': timestamp {text!r} cannot be parsed")
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    _PARSED[text] = ts
    return ts


def _is_date_only(text: str) -> bool:
    return len(text.strip()) <= 10


def _all_midnight(steps: pd.DatetimeIndex) -> bool:
    return bool((steps.normalize() == steps).all())
