"""A series' history as the numbers a model without a gap mask can read: gaps filled, length capped.

Sundial and Toto take dense float inputs. A ``null`` in the target is filled by linear
interpolation (the nearest observed value before the first or after the last observation), and
a history longer than the model's ``limits.max_context`` keeps its most recent values, as the
libraries themselves would only attend to that much; each change is reported as a warning.
"""

from __future__ import annotations

import numpy as np

from tollama.core.schemas import SeriesInput


def fill_gaps(values: list[float | None]) -> np.ndarray:
    """Linear interpolation over ``None``; the edges take the nearest observed value."""
    raw = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    missing = np.isnan(raw)
    if missing.any():
        index = np.arange(raw.size)
        raw[missing] = np.interp(index[missing], index[~missing], raw[~missing])
    return raw


def context_values(series: SeriesInput, max_context: int | None) -> tuple[np.ndarray, list[str]]:
    """The target (float64, gaps filled, at most ``max_context`` long) and the warnings it needs."""
    warnings: list[str] = []
    gaps = sum(v is None for v in series.target)
    values = fill_gaps(series.target)
    if gaps:
        warnings.append(f"series '{series.id}': {gaps} missing target values were filled by linear interpolation")
    if max_context is not None and values.size > max_context:
        warnings.append(
            f"series '{series.id}': only the last {max_context} of {values.size} values are used (the model's context)"
        )
        values = values[-max_context:]
    return values, warnings


def past_covariate_matrix(series: SeriesInput, names: list[str], length: int) -> np.ndarray:
    """The named numeric past covariates as rows ``(len(names), length)``, aligned with the kept context."""
    if not names:
        return np.zeros((0, length), dtype=np.float64)
    rows = [np.asarray(series.past_covariates[name], dtype=np.float64)[-length:] for name in names]
    return np.stack(rows)
