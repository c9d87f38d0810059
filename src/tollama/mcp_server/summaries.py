"""Short texts an LLM reads beside a tool's structured answer.

An agent decides from prose faster than from nested JSON: per series the last observed value
against the forecast mean, the interval width, and every warning, in a few lines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

MAX_SERIES_IN_TEXT = 20


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.4g}"


def _last_observed(target: Iterable[float | None]) -> float | None:
    last = None
    for value in target:
        if value is not None:
            last = value
    return last


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None


def interval_width(quantiles: Mapping[str, list[float]]) -> tuple[str, float] | None:
    """The outermost requested interval and its mean width over the horizon, if any."""
    if len(quantiles) < 2:
        return None
    levels = sorted(quantiles, key=float)
    low, high = quantiles[levels[0]], quantiles[levels[-1]]
    width = _mean([h - lo for lo, h in zip(low, high, strict=False)])
    return (f"{levels[0]}-{levels[-1]}", width) if width is not None else None


def forecast_summary(request: Mapping[str, Any], answer: Mapping[str, Any], shown: int) -> str:
    """Horizon, per-series last value vs forecast mean and interval width, then warnings."""
    forecasts = answer.get("forecasts") or []
    history = {str(s.get("id")): s.get("target") or [] for s in request.get("series") or []}
    lines = [
        f"model {answer.get('model')}: {len(forecasts)} series forecast {request.get('horizon')} steps ahead"
        + (f" (first {shown} returned in full)" if shown < len(forecasts) else "")
    ]
    for forecast in forecasts[:MAX_SERIES_IN_TEXT]:
        sid = str(forecast.get("id"))
        mean = forecast.get("mean") or []
        band = interval_width(forecast.get("quantiles") or {})
        text = (
            f"- {sid}: last value {_fmt(_last_observed(history.get(sid, [])))}, "
            f"forecast mean {_fmt(_mean(mean))} (first {_fmt(mean[0] if mean else None)}, "
            f"last {_fmt(mean[-1] if mean else None)})"
        )
        if band:
            text += f", {band[0]} interval width {_fmt(band[1])}"
        lines.append(text)
    if len(forecasts) > MAX_SERIES_IN_TEXT:
        lines.append(f"- ... and {len(forecasts) - MAX_SERIES_IN_TEXT} more series")
    lines.extend(_warnings(answer))
    return "\n".join(lines)


def leaderboard_summary(answer: Mapping[str, Any]) -> str:
    """The leaderboard as a plain-text table (rank, model, metrics, seconds, error)."""
    rows = answer.get("leaderboard") or []
    if not rows:
        return "no leaderboard rows"
    metric_names = [k for k in rows[0] if k not in {"model", "rank", "seconds", "series", "error"}]
    header = ["rank", "model", *metric_names, "seconds", "error"]
    table = [header]
    for row in rows:
        table.append(
            [
                str(row.get("rank") if row.get("rank") is not None else "-"),
                str(row.get("model")),
                *[_fmt(row.get(name)) if isinstance(row.get(name), int | float) else "n/a" for name in metric_names],
                _fmt(row.get("seconds")),
                str(row.get("error") or ""),
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.extend(_warnings(answer))
    return "\n".join(lines)


def models_summary(installed: list[Mapping[str, Any]], available: list[Mapping[str, Any]]) -> str:
    names = ", ".join(str(m.get("name")) for m in installed) or "none"
    lines = [f"installed ({len(installed)}): {names}"]
    pullable = [m for m in available if m.get("name") not in {i.get("name") for i in installed}]
    if pullable:
        described = [
            f"{m.get('name')} ({m.get('family')}{', needs licence acceptance' if m.get('needs_acceptance') else ''})"
            for m in pullable
        ]
        lines.append(f"available to pull ({len(pullable)}): " + ", ".join(described))
    return "\n".join(lines)


def _warnings(answer: Mapping[str, Any]) -> list[str]:
    warnings = answer.get("warnings") or []
    return [f"warning: {w}" for w in warnings]
