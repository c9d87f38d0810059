"""A request's series as the rows ``FracastModel.forecast_batch`` takes, and what to warn about.

The library reads the last ``context_length`` (2,048) values of each row, marks non-finite
values as unobserved, and pads a shorter row on the left with unobserved zeros. So a ``null``
gap goes in as NaN, and series of unequal length share one call by left-padding with NaN: the
padded row becomes exactly the tensor the library builds for the series alone. A series the
library would refuse (fewer than 8 finite values in what it reads) is a 400 naming it, before
any library call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastRequest, SeriesInput
from tollama.runners.torch.base import named, series_warnings

MIN_FINITE = 8  # the library's own minimum (fracast.inference._MIN_FINITE)


def context_rows(request: ForecastRequest, model: str, context_length: int) -> tuple[list[np.ndarray], list[str]]:
    """Each series' last ``context_length`` values as float32 (``null`` as NaN), and the context warning."""
    rows = [_row(series, context_length) for series in request.series]
    short = [s.id for s, row in zip(request.series, rows, strict=True) if np.isfinite(row).sum() < MIN_FINITE]
    if short:
        raise InvalidRequest(
            f"model '{model}' needs at least {MIN_FINITE} observed (non-null) values among the last "
            f"{context_length} of each series; series {named(short)} have fewer: send a longer history"
        )
    long = [s.id for s in request.series if len(s.target) > context_length]
    warnings = series_warnings(
        long,
        lambda shown: (
            f"model '{model}' reads the last {context_length} values; older history of series {shown} was not used"
        ),
    )
    return rows, warnings


def padded(rows: Sequence[np.ndarray]) -> np.ndarray:
    """One ``(len(rows), longest)`` float32 matrix, shorter rows left-padded with NaN (unobserved)."""
    width = max(row.size for row in rows)
    out = np.full((len(rows), width), np.nan, dtype=np.float32)
    for index, row in enumerate(rows):
        out[index, width - row.size :] = row
    return out


def _row(series: SeriesInput, context_length: int) -> np.ndarray:
    tail = series.target[-context_length:]
    return np.array([np.nan if v is None else v for v in tail], dtype=np.float32)
