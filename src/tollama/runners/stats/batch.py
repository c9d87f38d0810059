"""A request's series as statsforecast input: gaps filled, season lengths chosen, grouped.

Gaps are filled as in the other dense-input families (``runners.series_context``): linear
interpolation, and the nearest observed value before the first and after the last observation.

statsforecast fits one season length (and one set of exogenous columns) per call, so series
are grouped by both; a request whose series share a frequency is one group and one call.
Time is an integer index (0, 1, ... per series; ``freq=1``): these models read only the order
of the values, and the daemon computes the forecast timestamps itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastRequest, SeriesInput
from tollama.runners.series_context import context_values
from tollama.runners.stats.season import season_length_for

MIN_SEASONS = 2  # fewer full cycles than this cannot show a seasonal pattern


@dataclass
class History:
    """One series ready to fit: its position in the request, filled values, covariates."""

    id: str
    values: np.ndarray
    past: dict[str, np.ndarray] = field(default_factory=dict)
    future: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Batch:
    """Series fitted together in one ``StatsForecast`` call."""

    season_length: int
    covariates: tuple[str, ...]
    members: list[History] = field(default_factory=list)

    def chunks(self, size: int) -> list[Batch]:
        """The batch cut into batches of at most ``size`` series (same season, same covariates)."""
        return [
            Batch(self.season_length, self.covariates, self.members[start : start + size])
            for start in range(0, len(self.members), size)
        ]

    def frames(self, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The long history frame (``unique_id``, ``ds``, ``y``, covariates) and the future one."""
        lengths = np.array([len(m.values) for m in self.members])
        ids = np.arange(len(self.members))  # positions sort like the members, so outputs keep their order
        history: dict[str, np.ndarray] = {
            "unique_id": np.repeat(ids, lengths),
            "ds": np.concatenate([np.arange(n) for n in lengths]),
            "y": np.concatenate([m.values for m in self.members]),
        }
        for name in self.covariates:
            history[name] = np.concatenate([m.past[name] for m in self.members])
        if not self.covariates:
            return pd.DataFrame(history), None
        future: dict[str, np.ndarray] = {
            "unique_id": np.repeat(ids, horizon),
            "ds": np.concatenate([np.arange(n, n + horizon) for n in lengths]),
        }
        for name in self.covariates:
            future[name] = np.concatenate([m.future[name] for m in self.members])
        return pd.DataFrame(history), pd.DataFrame(future)


def exogenous_names(series: SeriesInput) -> tuple[str, ...]:
    """Numeric known-future covariates, the only ones a regression on the future can use."""
    # the schema already made past and future values of one covariate the same kind
    return tuple(sorted(name for name, values in series.future_covariates.items() if not isinstance(values[0], str)))


def plan_batches(
    request: ForecastRequest,
    model: str,
    min_length: int,
    season_override: int | None,
    use_covariates: bool,
) -> tuple[list[Batch], list[str]]:
    """Group the request's series into batches; warnings say what was filled or simplified."""
    batches: dict[tuple[int, tuple[str, ...]], Batch] = {}
    warnings: list[str] = []
    for series in request.series:
        values, filled = context_values(series, None)  # gaps filled as every family does; no context cap
        warnings.extend(filled)
        n = len(values)
        if n < min_length:
            raise InvalidRequest(
                f"series '{series.id}': target has {n} values but model '{model}' needs at least {min_length}; "
                "auto-arima and seasonal-naive take shorter series"
            )
        season = season_override or season_length_for(series.freq)
        if season > 1 and n < MIN_SEASONS * season:
            warnings.append(
                f"series '{series.id}': {n} values are fewer than {MIN_SEASONS} seasons of {season}; "
                "fitted without seasonality (season_length 1)"
            )
            season = 1
        names = exogenous_names(series) if use_covariates else ()
        history = History(
            id=series.id,
            values=values,
            past={k: np.asarray(series.past_covariates[k], dtype=float) for k in names},
            future={k: np.asarray(series.future_covariates[k], dtype=float) for k in names},
        )
        batches.setdefault((season, names), Batch(season, names)).members.append(history)
    return list(batches.values()), warnings
