"""Frequencies and forecast timestamps, with pandas offsets.

``start_timestamp`` is the first *forecast* step: the last input timestamp plus one ``freq``
step (the seed README's example printed the last input timestamp instead; we chose the step
users plot against). Timestamps keep the input's style: dates stay dates.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Tick

from tollama.core.bytecache import ByteLRU
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
MAX_STEP_NANOS = 100 * 366 * 86_400 * 10**9
STEPS_CACHE_BYTES = 4 * 1024 * 1024


@lru_cache(maxsize=256)
def parse_freq(freq: str) -> pd.DateOffset:
    """A positive pandas offset for ``freq``; ValueError with a clear message otherwise.

    Cached by count: keys are the short strings users type, and each value is a small offset.
    """
    text = freq.strip()
    if not text:
        raise ValueError("freq is empty; give a pandas frequency (e.g. 'D', 'h', 'W', 'MS', '15min') or omit it")
    offset = None
    for candidate in (_ALIASES.get(text, text), text):
        try:
            with warnings.catch_warnings():  # pandas warns about deprecated aliases it still reads
                warnings.simplefilter("ignore", FutureWarning)
                offset = to_offset(candidate)
            break
        except ValueError:
            continue
    if offset is None:
        raise ValueError(f"freq {freq!r} is not a pandas frequency (e.g. 'D', 'h', 'W', 'MS', '15min')")
    if offset.n <= 0:
        raise ValueError(f"freq {freq!r} is not a positive step; use e.g. 'D' or '2h'")
    if isinstance(offset, Tick) and offset.nanos > MAX_STEP_NANOS:
        raise ValueError(f"freq {freq!r} is a step of more than 100 years")
    return offset


def forecast_timestamps(series: SeriesInput, horizon: int) -> list[str] | None:
    """Timestamps of the forecast steps, or None when the series has no timestamps/freq.

    ValueError naming the series when the last timestamp cannot be read or a step falls past
    the last date pandas can represent (2262-04-11).
    """
    if not series.timestamps or not series.freq:
        return None
    key = (series.timestamps[-1], series.freq, horizon)
    steps = _STEPS.get(key)
    if steps is None:
        steps = _STEPS.put(key, _steps_after(series.id, *key))
    return list(steps)


def _steps_after(series_id: str, last_text: str, freq: str, horizon: int) -> tuple[str, ...]:
    try:
        offset = parse_freq(freq)
        last = pd.Timestamp(last_text)
    except ValueError as exc:
        raise ValueError(f"series '{series_id}': {exc}") from None
    if last is pd.NaT:
        raise ValueError(f"series '{series_id}': timestamp {last_text!r} cannot be parsed")
    try:
        # Start one step after the last timestamp: date_range(start=last) would first roll an
        # off-anchor start (a Thursday for 'W-SUN') forward to the anchor and lose a step.
        steps = pd.date_range(start=last + offset, periods=horizon, freq=offset)
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        raise ValueError(
            f"series '{series_id}': {horizon} steps of {freq!r} after {last_text!r} go past the last date "
            "pandas can represent (2262-04-11); use a shorter horizon or a smaller freq"
        ) from None
    if _is_date_only(last_text) and _all_midnight(steps):
        return tuple(steps.strftime("%Y-%m-%d"))
    return tuple(ts.isoformat() for ts in steps)


def _weigh_steps(steps: tuple[str, ...]) -> int:
    """About what a tuple of short ASCII strings holds: its slots plus each string object."""
    return 64 + sum(49 + len(text) + 8 for text in steps[:1]) * len(steps)


# Series of one request mostly share their last timestamp, freq and horizon: their steps are
# computed once. Bounded by bytes: 1,024 distinct 10,000-step horizons once held 768 MB here.
_STEPS: ByteLRU[tuple[str, ...]] = ByteLRU(STEPS_CACHE_BYTES, _weigh_steps)


def infer_freq(timestamps: list[str]) -> str | None:
    """pandas' inferred frequency of the timestamps, or None when irregular or too short."""
    try:
        return infer_freq_of(pd.DatetimeIndex(pd.to_datetime(timestamps)))
    except (ValueError, TypeError):
        return None


def infer_freq_of(index: pd.DatetimeIndex) -> str | None:
    """pandas' inferred frequency of parsed timestamps, or None when irregular or too short."""
    if len(index) < 3:
        return None
    try:
        return pd.infer_freq(index)
    except (ValueError, TypeError):
        return None


def _is_date_only(text: str) -> bool:
    return len(text.strip()) <= 10


def _all_midnight(steps: pd.DatetimeIndex) -> bool:
    return bool((steps.normalize() == steps).all())
