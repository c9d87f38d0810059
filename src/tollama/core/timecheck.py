"""Every timestamp of a series, checked at once: parsed, sorted, unique, and on the ``freq`` grid.

Models read a series as evenly spaced values; their timestamps say whether it is. A daily
series with three days of rows missing, read as regular, puts Friday's value on Monday. So:

- every timestamp is parsed (vectorised: a 1M-point series takes about a tenth of a second);
  one that cannot be read, or lies outside 1677-2262, is an error naming its position;
- timestamps must increase strictly: the first repeat or step back is an error naming it;
- with a ``freq``, every timestamp must sit a whole number of steps after the first; steps
  that are missing become gaps (``null`` targets, see ``with_gaps``), never a shift.

The first step of an anchored ``freq`` may be off its anchor (a Thursday for ``'W-SUN'``): the
grid is the first timestamp, then ``first + freq``, then each next step, as forecast steps are.
Results are cached by bytes: the series of one request often share their timestamps.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.offsets import Tick

from tollama.core.bytecache import ByteLRU
from tollama.core.schemas import SeriesInput
from tollama.core.timeindex import infer_freq_of, parse_freq

INDEX_CACHE_BYTES = 8 * 1024 * 1024
CACHED_LENGTH = 100_000  # series longer than this are checked afresh each time


@dataclass(frozen=True)
class IndexCheck:
    """What a series' timestamps say: its freq (given or inferred) and its missing steps."""

    freq: str | None
    length: int  # points on the freq grid from the first to the last timestamp
    positions: np.ndarray | None = None  # grid position of each timestamp; None when none is missing
    missing: tuple[str, ...] = ()  # the missing steps' timestamps, in the input's style

    @property
    def gaps(self) -> int:
        return len(self.missing)


def check_time_index(series: SeriesInput, max_length: int = 1_000_000) -> IndexCheck:
    """ValueError naming the series and the first bad position; else the index's freq and gaps."""
    sid, timestamps, freq = series.id, series.timestamps, series.freq
    if freq is not None:
        try:
            parse_freq(freq)
        except ValueError as exc:
            raise ValueError(f"series '{sid}': {exc}") from None
    if not timestamps:
        return IndexCheck(freq, len(series.target))
    if len(timestamps) > CACHED_LENGTH:  # one long series: nothing to share, and an entry kept now
        return _check(sid, timestamps, freq, max_length)  # would pin memory freed around it
    key = (len(timestamps), timestamps[0], timestamps[-1], hash(tuple(timestamps)), freq, max_length)
    known = _CHECKED.get(key)
    if known is None:
        known = _CHECKED.put(key, _check(sid, timestamps, freq, max_length))
    return known


def with_gaps(series: SeriesInput, check: IndexCheck) -> SeriesInput:
    """The series with a ``null`` target (and its timestamp) at each missing step."""
    if check.positions is None:
        return series
    if series.past_covariates:
        raise ValueError(
            f"series '{series.id}' misses {check.gaps} '{check.freq}' steps (the first at {check.missing[0]}) "
            "and has past covariates; add rows for the missing steps or send the timestamps without gaps"
        )
    target = np.full(check.length, None, dtype=object)
    target[check.positions] = np.asarray(series.target, dtype=object)
    stamps = np.empty(check.length, dtype=object)
    stamps[check.positions] = np.asarray(series.timestamps, dtype=object)
    missing = np.ones(check.length, dtype=bool)
    missing[check.positions] = False
    stamps[missing] = list(check.missing)
    return series.model_copy(update={"target": target.tolist(), "timestamps": stamps.tolist()})


def gap_warning(series: SeriesInput, check: IndexCheck) -> str:
    plural = "s" if check.gaps > 1 else ""
    return (
        f"series '{series.id}': {check.gaps} missing '{check.freq}' step{plural} (the first at "
        f"{check.missing[0]}) were inserted as gaps (null) instead of shifting the values after them"
    )


def _check(sid: str, timestamps: list[str], freq: str | None, max_length: int) -> IndexCheck:
    index = _parse(sid, timestamps)
    ns = index.asi8
    if len(ns) > 1:
        steps = np.diff(ns)
        bad = np.flatnonzero(steps <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            what = "repeats" if steps[bad[0]] == 0 else "comes before"
            raise ValueError(
                f"series '{sid}': timestamps[{i}] {timestamps[i]!r} {what} timestamps[{i - 1}] "
                f"{timestamps[i - 1]!r}; timestamps must be unique and in increasing order"
            )
    if freq is None:
        return IndexCheck(infer_freq_of(index), len(ns))
    if len(ns) < 2:
        return IndexCheck(freq, len(ns))
    offset = parse_freq(freq)
    positions, grid = _grid_positions(sid, index, timestamps, freq, offset, max_length)
    length = int(positions[-1]) + 1
    if length == len(ns):
        return IndexCheck(freq, length)
    mask = np.ones(length, dtype=bool)
    mask[positions] = False
    missing = grid(np.flatnonzero(mask))
    return IndexCheck(freq, length, positions, _format_like(timestamps[0], missing))


def _parse(sid: str, timestamps: list[str]) -> pd.DatetimeIndex:
    """All timestamps at once, in the format of the first; mixed UTC offsets (daylight saving) as UTC."""
    try:
        first = pd.Timestamp(timestamps[0])
    except (ValueError, TypeError):
        first = pd.NaT
    if first is pd.NaT:
        raise _unreadable(sid, timestamps, 0)
    values = np.asarray(timestamps, dtype=object)
    with warnings.catch_warnings():  # format guesses and mixed offsets: handled below
        warnings.simplefilter("ignore")
        index = _to_datetime(values, None)
        if index.hasnans:  # dates and date-times mixed are still one (ISO 8601) format
            iso = _to_datetime(values, "ISO8601")
            index = index if iso.hasnans else iso
    bad = np.flatnonzero(index.isna())
    if bad.size:
        raise _unreadable(sid, timestamps, int(bad[0]))
    return index


def _to_datetime(values: np.ndarray, fmt: str | None) -> pd.DatetimeIndex:
    index = pd.to_datetime(values, errors="coerce", format=fmt)
    if not isinstance(index, pd.DatetimeIndex):  # mixed UTC offsets: compare them in UTC
        index = pd.to_datetime(values, errors="coerce", format=fmt, utc=True)
    return index


def _unreadable(sid: str, timestamps: list[str], i: int) -> ValueError:
    like = f" in the format of timestamps[0] {timestamps[0]!r}" if i else ""
    return ValueError(
        f"series '{sid}': timestamps[{i}] {timestamps[i]!r} cannot be parsed as a date{like} "
        "(dates must lie between 1677 and 2262)"
    )


Grid = Callable[[np.ndarray], pd.DatetimeIndex]


def _grid_positions(
    sid: str, index: pd.DatetimeIndex, timestamps: list[str], freq: str, offset: pd.DateOffset, max_length: int
) -> tuple[np.ndarray, Grid]:
    """Each timestamp's step number from the first, and a function from step numbers to dates."""
    ns = index.asi8
    first = index[0]
    if isinstance(offset, Tick):
        step = offset.nanos
        relative = ns - ns[0]
        off = np.flatnonzero(relative % step)
        positions = relative // step
        _check_length(sid, freq, int(positions[-1]) + 1 if not off.size else 0, max_length)

        def grid(at: np.ndarray) -> pd.DatetimeIndex:
            return pd.DatetimeIndex(ns[0] + at * step, tz=index.tz)
    else:
        try:
            typical = max((first + offset - first).value, 1)
            _check_length(sid, freq, int((ns[-1] - ns[0]) // typical * 10 // 9) + 2, max_length * 10 // 9 + 2)
            after = pd.date_range(start=first + offset, end=index[-1], freq=offset)
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            raise ValueError(f"series '{sid}': one step of {freq!r} goes past the year 2262") from None
        steps = pd.DatetimeIndex([first]).append(after)
        positions = steps.get_indexer(index)
        off = np.flatnonzero(positions < 0)

        def grid(at: np.ndarray) -> pd.DatetimeIndex:
            return steps[at]

    if off.size:
        i = int(off[0])
        raise ValueError(
            f"series '{sid}': timestamps[{i}] {timestamps[i]!r} is not a whole number of {freq!r} steps after "
            f"timestamps[0] {timestamps[0]!r}; check freq (or omit it to have it inferred)"
        )
    return positions, grid


def _check_length(sid: str, freq: str, length: int, max_length: int) -> None:
    if length > max_length:
        raise ValueError(
            f"series '{sid}': its timestamps span {length} steps of {freq!r}, above the limit of {max_length} "
            "points (TOLLAMA_MAX_SERIES_LENGTH); check freq"
        )


def _format_like(first: str, stamps: pd.DatetimeIndex) -> tuple[str, ...]:
    """Dates stay dates; other timestamps come back as ISO 8601, as forecast steps do."""
    if len(first.strip()) <= 10 and bool((stamps.normalize() == stamps).all()):
        return tuple(stamps.strftime("%Y-%m-%d"))
    if stamps.tz is None:
        return tuple(np.datetime_as_string(stamps.values, unit="s" if not (stamps.asi8 % 10**9).any() else "ns"))
    return tuple(ts.isoformat() for ts in stamps)


def _weigh(check: IndexCheck) -> int:
    positions = 0 if check.positions is None else check.positions.nbytes
    return 200 + positions + sum(60 + len(text) for text in check.missing[:1]) * len(check.missing)


_CHECKED: ByteLRU[IndexCheck] = ByteLRU(INDEX_CACHE_BYTES, _weigh)
