"""Fit a request to what its model accepts: drop (best_effort) or refuse (strict) the rest.

A covariate is *known-future* when its key is in both ``past_covariates`` and
``future_covariates``, *past-only* when only in ``past_covariates``; its kind is *categorical*
when its values are strings, else *numeric*. Runners only ever see supported covariates.
"""

from __future__ import annotations

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import Capabilities, ForecastRequest


def covariate_role(name: str, past: dict, future: dict) -> tuple[str, str]:
    """(``past``|``future``, ``numeric``|``categorical``) of one covariate."""
    values = past.get(name) or future.get(name) or []
    kind = "categorical" if values and isinstance(values[0], str) else "numeric"
    return ("future" if name in future else "past"), kind


def fit_covariates(
    request: ForecastRequest, capabilities: Capabilities, model: str
) -> tuple[ForecastRequest, list[str]]:
    """Return a request holding only supported covariates, and one warning per dropped one."""
    unsupported: dict[str, str] = {}
    for series in request.series:
        for name in series.past_covariates:
            role, kind = covariate_role(name, series.past_covariates, series.future_covariates)
            if not getattr(capabilities, f"{role}_covariates_{kind}"):
                label = "known-future" if role == "future" else "past-only"
                unsupported.setdefault(name, f"{label} {kind}")
        for name in series.static_covariates:
            if not capabilities.static_covariates:
                unsupported.setdefault(name, "static")
    if not unsupported:
        return request, []
    described = ", ".join(f"'{n}' ({what})" for n, what in unsupported.items())
    if request.parameters.covariates_mode == "strict":
        raise InvalidRequest(
            f"model '{model}' does not support covariates {described}; remove them or use covariates_mode 'best_effort'"
        )
    fitted = request.model_copy(deep=True)
    for series in fitted.series:
        for name in unsupported:
            series.past_covariates.pop(name, None)
            series.future_covariates.pop(name, None)
            series.static_covariates.pop(name, None)
    warnings = [
        f"covariate '{name}' ({what}) is not supported by model '{model}' and was ignored"
        for name, what in unsupported.items()
    ]
    return fitted, warnings
