"""Rolling-origin windows: where each cutoff falls and how a series is cut there.

Pure and shared by ``/api/evaluate`` and the derived models (``auto`` backtests candidates the
same way). A cutoff is counted in values from the start of a series: the history is
``target[:cutoff]`` and the held-out part ``target[cutoff:cutoff + horizon]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tollama.core.schemas import SeriesInput


@dataclass(frozen=True)
class WindowCut:
    """One series cut at one window's cutoff: the forecast input (with ``actuals``) and its history."""

    window: int
    cutoff: int
    series: SeriesInput


def window_cutoffs(length: int, horizon: int, windows: int, step: int) -> list[int | None]:
    """The cutoff of each window, oldest first; ``None`` where the series is too short.

    The last window leaves exactly ``horizon`` values after its cutoff; each earlier one sits
    ``step`` values before the next. A window needs at least one value of history.
    """
    out: list[int | None] = []
    for index in range(windows):
        cutoff = length - horizon - (windows - 1 - index) * step
        out.append(cutoff if cutoff >= 1 else None)
    return out


def cut_series(series: SeriesInput, cutoff: int, horizon: int) -> SeriesInput:
    """The series as a forecast request at ``cutoff`` would carry it, with the held-out ``actuals``.

    Past-only covariates are cut at the cutoff; a covariate the series also names in
    ``future_covariates`` (known in advance) gets its values after the cutoff as the future part.
    The series' own ``future_covariates`` (beyond its end) are not used: a backtest forecasts
    inside the observed span.
    """
    end = cutoff + horizon
    held_out = series.target[cutoff:end]
    # A gap in the held-out part cannot be scored (None); callers warn.
    actuals = None if any(v is None for v in held_out) else [float(v) for v in held_out if v is not None]
    known = set(series.future_covariates)
    return SeriesInput.model_construct(
        id=series.id,
        freq=series.freq,
        timestamps=None if series.timestamps is None else series.timestamps[:cutoff],
        target=series.target[:cutoff],
        past_covariates={name: values[:cutoff] for name, values in series.past_covariates.items()},
        future_covariates={name: series.past_covariates[name][cutoff:end] for name in known},
        static_covariates=dict(series.static_covariates),
        actuals=actuals,
    )


def cut_windows(
    series: list[SeriesInput], horizon: int, windows: int, step: int
) -> tuple[list[list[WindowCut]], list[str]]:
    """Every series cut at every window it can hold, grouped by window; warnings for the rest."""
    grouped: list[list[WindowCut]] = [[] for _ in range(windows)]
    warnings: list[str] = []
    for item in series:
        for index, cutoff in enumerate(window_cutoffs(len(item.target), horizon, windows, step)):
            if cutoff is None:
                warnings.append(
                    f"series '{item.id}' ({len(item.target)} values) is too short for window {index}; skipped there"
                )
                continue
            cut = cut_series(item, cutoff, horizon)
            if cut.actuals is None:
                warnings.append(f"series '{item.id}' has gaps in the held-out part of window {index}; skipped there")
                continue
            grouped[index].append(WindowCut(index, cutoff, cut))
    return grouped, warnings


def cutoff_label(cut: WindowCut) -> str | int:
    """The cutoff as users read it: the last timestamp of the history, or its position."""
    stamps = cut.series.timestamps
    return stamps[-1] if stamps else cut.cutoff - 1
