"""A series made ready for XReg, which, unlike ``forecast``, does not handle missing values itself.

We apply what ``forecast`` applies to every input, with the library's own helpers: leading
``null`` values are dropped (with the covariate values of those steps), inner ones linearly
interpolated. The context is cut to ``cap`` steps, the covariates to the same steps plus the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from timesfm.timesfm_2p5.timesfm_2p5_base import linear_interpolation

from tollama.core.schemas import SeriesInput


@dataclass(frozen=True)
class Prepared:
    id: str
    target: np.ndarray
    covariates: dict[str, np.ndarray]  # context + horizon values per known-future covariate


def prepare(series: SeriesInput, cap: int) -> Prepared:
    target = np.array([math.nan if v is None else v for v in series.target], dtype=float)
    first = int(np.argmax(~np.isnan(target)))  # the schema guarantees one observed value
    start = max(first, len(target) - cap)
    covariates = {
        name: np.array([*series.past_covariates[name][start:], *future], dtype=float)
        for name, future in series.future_covariates.items()
    }
    return Prepared(series.id, linear_interpolation(target[first:])[start - first :], covariates)
