"""The tensors ``Moirai2Forecast.forward`` takes, built the way its ``predict`` helper builds them.

``predict`` (uni2ts 2.0 code) imputes gaps with ``CausalMeanImputation`` after recording them as
unobserved, cuts each array to its last ``context_length`` rows or left-pads it with its first row,
and flags padded steps in ``past_is_pad``. We do the same, except that known-future covariates
keep ``context_length + horizon`` rows (``predict`` cuts them to ``context_length`` and fails).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from uni2ts.transform.imputation import CausalMeanImputation

from tollama.core.schemas import SeriesInput


class Layout(NamedTuple):
    """Covariate columns of a batch: known-future names, then past-only names (sorted)."""

    known: tuple[str, ...]
    past_only: tuple[str, ...]


def build_batch(layout: Layout, chunk: list[SeriesInput], horizon: int, context: int) -> dict[str, torch.Tensor]:
    impute = CausalMeanImputation()
    targets, observed, is_pad, known, past_only = [], [], [], [], []
    for s in chunk:
        raw = np.array([math.nan if v is None else v for v in s.target], dtype=np.float32)[:, None]
        seen = ~np.isnan(raw)
        values = impute(raw) if not seen.all() else raw
        targets.append(_fit(values, context))
        observed.append(_fit(seen, context))
        pad = max(context - len(raw), 0)
        is_pad.append(np.arange(context) < pad)
        if layout.known:
            columns = [[*s.past_covariates[n], *s.future_covariates[n]] for n in layout.known]
            known.append(_fit(np.array(columns, dtype=np.float32).T, context + horizon))
        if layout.past_only:
            columns = [s.past_covariates[n] for n in layout.past_only]
            past_only.append(_fit(np.array(columns, dtype=np.float32).T, context))
    batch = {
        "past_target": torch.from_numpy(np.stack(targets)),
        "past_observed_target": torch.from_numpy(np.stack(observed)),
        "past_is_pad": torch.from_numpy(np.stack(is_pad)),
    }
    if known:
        values = torch.from_numpy(np.stack(known))
        batch["feat_dynamic_real"] = values
        batch["observed_feat_dynamic_real"] = torch.ones_like(values, dtype=torch.bool)
    if past_only:
        values = torch.from_numpy(np.stack(past_only))
        batch["past_feat_dynamic_real"] = values
        batch["past_observed_feat_dynamic_real"] = torch.ones_like(values, dtype=torch.bool)
    return batch


def _fit(rows: np.ndarray, length: int) -> np.ndarray:
    """The last ``length`` rows, or all of them left-padded with copies of the first row."""
    if len(rows) >= length:
        return rows[len(rows) - length :]
    return np.concatenate([np.repeat(rows[:1], length - len(rows), axis=0), rows], axis=0)
