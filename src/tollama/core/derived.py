"""Derived models: definitions (ensemble, auto), their validation, and how answers combine.

A derived model is a manifest that names other installed models instead of weights. Pure code:
the daemon resolves names through a lookup function, so the rules here are testable alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tollama.core.errors import InvalidRequest, ModelNotFound

if TYPE_CHECKING:
    from tollama.core.schemas import ModelManifest  # schemas imports this module

DERIVED_FAMILIES = ("ensemble", "auto")
# Lower is better for each; `coverage` is not a score a model can be chosen by.
AUTO_METRICS = ("mase", "smape", "mae", "rmse", "mape", "wql")


class _Definition(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @staticmethod
    def _names(names: list[str], what: str) -> list[str]:
        if not names:
            raise ValueError(f"an {what} needs at least one model; list installed models by name")
        if len(set(names)) != len(names):
            raise ValueError(f"{what} models are listed twice: {', '.join(names)}")
        return names


class EnsembleSpec(_Definition):
    """Every member forecasts; per series and step the answers combine by ``method``."""

    members: list[str]
    method: Literal["median", "mean"] = "median"

    @field_validator("members")
    @classmethod
    def _check_members(cls, members: list[str]) -> list[str]:
        return cls._names(members, "ensemble")


class AutoSpec(_Definition):
    """Per series, the candidate with the best backtest score on the series' own history serves."""

    candidates: list[str]
    metric: str = "mase"
    windows: int = Field(default=1, ge=1)

    @field_validator("candidates")
    @classmethod
    def _check_candidates(cls, candidates: list[str]) -> list[str]:
        return cls._names(candidates, "auto")

    @field_validator("metric")
    @classmethod
    def _check_metric(cls, metric: str) -> str:
        if metric not in AUTO_METRICS:
            raise ValueError(f"unknown metric '{metric}' for auto; use one of {', '.join(AUTO_METRICS)}")
        return metric


def parts_of(ensemble: EnsembleSpec | None, auto: AutoSpec | None) -> list[str]:
    """The models a derived model is made of (members or candidates), or none for a plain one."""
    if ensemble is not None:
        return list(ensemble.members)
    if auto is not None:
        return list(auto.candidates)
    return []


def users_of(model: str, installed: Iterable[ModelManifest]) -> list[str]:
    """The installed derived models that use ``model``, directly or through another derived model."""
    parts = {m.name: set(parts_of(m.ensemble, m.auto)) for m in installed if m.name != model}
    users: set[str] = set()
    while grown := {name for name, its in parts.items() if its & (users | {model})} - users:
        users |= grown
    return sorted(users)


PartsLookup = Callable[[str], list[str]]  # installed model -> its parts; raises ModelNotFound


def check_graph(name: str, parts: Sequence[str], lookup: PartsLookup) -> None:
    """Every model reachable from ``name`` is installed and none leads back to a model on its path.

    ``parts`` are ``name``'s own parts (perhaps a definition not written yet). A missing model is a
    404 naming it and the model that uses it; a cycle is a 400 naming the chain.
    """

    def visit(model: str, its_parts: Sequence[str], path: list[str]) -> None:
        for part in its_parts:
            seen = [*path, model]
            if part in seen:
                chain = " -> ".join([*seen[seen.index(part) :], part])
                raise InvalidRequest(f"derived model '{name}' would use itself: {chain}; remove that member")
            try:
                sub = lookup(part)
            except ModelNotFound:
                raise ModelNotFound(
                    f"model '{part}' used by '{model}' is not installed; run `tollama pull {part}` "
                    f"or create '{model}' again without it"
                ) from None
            visit(part, sub, [*path, model])

    visit(name, parts, [])


def combine(answers: Sequence[dict[str, Any]], method: str, levels: Sequence[str]) -> list[dict[str, Any]]:
    """One forecast per series: per step the median (mean) of the members' means and of each quantile.

    ``answers`` are the members' final response objects (same series in the same order). Quantiles
    are ordered in the level afterwards, as every answer of tollama is.
    """
    reduce = np.median if method == "median" else np.mean
    first = answers[0]["forecasts"]
    out: list[dict[str, Any]] = []
    for i, base in enumerate(first):
        item = {k: v for k, v in base.items() if k not in ("mean", "quantiles", "model")}
        means = np.asarray([a["forecasts"][i]["mean"] for a in answers], dtype=float)
        item["mean"] = reduce(means, axis=0).tolist()
        if levels:
            cube = np.asarray(
                [
                    [(a["forecasts"][i].get("quantiles") or {}).get(k, a["forecasts"][i]["mean"]) for k in levels]
                    for a in answers
                ],
                dtype=float,
            )
            combined = np.sort(reduce(cube, axis=0), axis=0)
            item["quantiles"] = dict(zip(levels, combined.tolist(), strict=True))
        out.append(item)
    return out


def choose(
    candidates: list[str], series_ids: list[str], scores: dict[str, dict[str, float]]
) -> tuple[dict[str, str], list[str]]:
    """Per series id the candidate with the lowest finite score; ties go to the one listed first.

    ``scores`` maps candidate -> series id -> score. A series no candidate could be scored on
    (too short to hold out a window, or every score undefined) gets the first candidate, with a
    warning saying why.
    """
    chosen: dict[str, str] = {}
    unscored: list[str] = []
    for sid in series_ids:
        finite = [
            (scores[c][sid], i, c) for i, c in enumerate(candidates) if math.isfinite(scores[c].get(sid, math.nan))
        ]
        if finite:
            chosen[sid] = min(finite)[2]
        else:
            chosen[sid] = candidates[0]
            unscored.append(sid)
    warnings = []
    if unscored:
        shown = ", ".join(f"'{sid}'" for sid in unscored[:3]) + (" ..." if len(unscored) > 3 else "")
        warnings.append(
            f"{len(unscored)} series ({shown}) could not be backtested (too short to hold out a window, "
            f"or no score defined); served by the first candidate '{candidates[0]}'"
        )
    return chosen, warnings
