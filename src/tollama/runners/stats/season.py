"""Season lengths: from a series' ``freq``, or from ``parameters.stats.season_length``.

One step of these frequencies has an obvious cycle (a day of hours, a week of days, a year of
weeks, months or quarters); every other frequency, and any multiple such as ``2h``, gets 1
(no seasonality) unless the request names a season length.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastParameters
from tollama.core.timeindex import parse_freq

_SEASONS: dict[type[pd.DateOffset], int] = {
    pd.offsets.Hour: 24,
    pd.offsets.Day: 7,
    pd.offsets.Week: 52,
    pd.offsets.MonthEnd: 12,
    pd.offsets.MonthBegin: 12,
    pd.offsets.BusinessMonthEnd: 12,
    pd.offsets.BusinessMonthBegin: 12,
    pd.offsets.QuarterEnd: 4,
    pd.offsets.QuarterBegin: 4,
    pd.offsets.BQuarterEnd: 4,
    pd.offsets.BQuarterBegin: 4,
}
STATS_KEYS = ("season_length",)


def season_length_for(freq: str | None) -> int:
    """The season length of one step of ``freq`` (pandas aliases such as 'h', 'ME', 'QS', 'W-SUN')."""
    if not freq:
        return 1
    try:
        offset = parse_freq(freq)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    if offset.n != 1:
        return 1
    return _SEASONS.get(type(offset), 1)


def season_override(parameters: ForecastParameters) -> int | None:
    """``parameters.stats.season_length`` when given: a positive integer, else ``InvalidRequest``."""
    section: Any = (parameters.model_extra or {}).get("stats")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise InvalidRequest('parameters.stats must be an object, e.g. {"season_length": 7}')
    unknown = sorted(set(section) - set(STATS_KEYS))
    if unknown:
        raise InvalidRequest(f"parameters.stats has unknown keys {unknown}; known: {', '.join(STATS_KEYS)}")
    value = section.get("season_length")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"parameters.stats.season_length must be a positive integer, not {value!r}")
    return value
