"""Wire types of ``POST /api/evaluate`` (rolling-origin backtests)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from tollama.core.schemas import ForecastParameters, ForecastRequest, SeriesInput, _Wire

EvalMetric = Literal["mase", "smape", "wql", "mae", "rmse", "mape", "coverage"]
DEFAULT_EVAL_METRICS: tuple[str, ...] = ("mase", "smape", "wql")
DEFAULT_EVAL_QUANTILES: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


class EvaluateRequest(_Wire):
    """Backtest ``models`` over ``series``: ``windows`` cutoffs ``step`` values apart, ``horizon`` each.

    A covariate named in a series' ``future_covariates`` is known in advance: each window takes
    its values after the cutoff from the history (``past_covariates``), whatever its length there.
    """

    models: list[str] = Field(min_length=1)
    series: list[SeriesInput] = Field(min_length=1)
    horizon: int = Field(ge=1)
    windows: int = Field(default=1, ge=1, le=10_000)
    step: int | None = Field(default=None, ge=1)
    quantiles: list[float] = Field(default_factory=lambda: list(DEFAULT_EVAL_QUANTILES))
    metrics: list[EvalMetric] = Field(default_factory=lambda: list(DEFAULT_EVAL_METRICS), min_length=1)
    seasonality: int | None = Field(default=None, ge=1, le=1_000_000)
    parameters: ForecastParameters = Field(default_factory=ForecastParameters)
    options: dict[str, Any] = Field(default_factory=dict)
    return_forecasts: bool = False
    stream: bool = True
    keep_alive: str | float | None = None

    @field_validator("models")
    @classmethod
    def _check_models(cls, models: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in models:
            if name.lower() in seen:
                raise ValueError(f"model '{name}' is listed more than once; name each model once")
            seen.add(name.lower())
        return models

    @field_validator("metrics")
    @classmethod
    def _unique_metrics(cls, metrics: list[str]) -> list[str]:
        return list(dict.fromkeys(metrics))

    @field_validator("quantiles")
    @classmethod
    def _check_quantiles(cls, levels: list[float]) -> list[float]:
        return ForecastRequest._check_quantiles(levels)  # the same rules and messages as a forecast

    @model_validator(mode="after")
    def _check_series(self) -> EvaluateRequest:
        seen: set[str] = set()
        for series in self.series:
            if series.id in seen:
                raise ValueError(f"series id '{series.id}' appears more than once; ids must be unique")
            seen.add(series.id)
            known = series.future_covariates
            series.future_covariates, series.actuals = {}, None
            series.check(self.horizon)
            for name in known:
                if name not in series.past_covariates:
                    raise ValueError(
                        f"series '{series.id}': future_covariates['{name}'] has no past_covariates['{name}']; "
                        "a backtest takes a known-future covariate's values from its history"
                    )
            series.future_covariates = {name: [] for name in known}  # only the names matter here
        if max(len(s.target) for s in self.series) <= self.horizon:
            raise ValueError(
                f"no series is longer than horizon {self.horizon}, so none can hold out a window; "
                "lower the horizon or send longer series"
            )
        return self

    @property
    def step_size(self) -> int:
        return self.step or self.horizon


class EvaluateResponse(_Wire):
    done: bool = True
    horizon: int
    windows: list[dict[str, Any]]
    leaderboard: list[dict[str, Any]]
    series: list[dict[str, Any]]
    warnings: list[str] = Field(default_factory=list)
    total_duration: int = 0
    forecasts: list[dict[str, Any]] | None = None
