"""Every wire type of the public API and the runner protocol (pydantic v2).

Structural rules (lengths, finiteness, ids, quantile levels, covariate shapes) are checked here
so that every entry point rejects the same inputs with the same message. Checks that need the
registry (horizon limits, capabilities) or pandas (frequencies) live in the daemon.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from tollama.core.derived import AutoSpec, EnsembleSpec

CovariateValues = list[float] | list[str]
# What ``registry.check_model_name`` enforces (with a friendlier message), for the OpenAPI document:
# a letter or digit first, then letters, digits, '_', '-' and single dots.
# What ``_covariate_array`` enforces, for the OpenAPI document: all numbers or all strings.
COVARIATES_SCHEMA: dict[str, Any] = {
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "number"}}, {"type": "array", "items": {"type": "string"}}]
    }
}
MODEL_NAME_SCHEMA = {"pattern": r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*\.?$", "maxLength": 128}
METRIC_NAMES = ("mape", "mase", "smape", "mae", "rmse", "wql")
MAX_NESTING = 32  # levels of lists and objects in free-form sections (options, family parameters)
MetricName = Literal["mape", "mase", "smape", "mae", "rmse", "wql"]


class _Wire(BaseModel):
    """Unknown fields are ignored, so clients of other versions keep working."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _covariate_array(series_id: str, field: str, name: str, values: list[Any]) -> CovariateValues:
    where = f"series '{series_id}': {field}['{name}']"
    if not values:
        return []
    kinds = set(map(type, values))
    if kinds == {float} and _sums_finite(values):  # the common case, checked without a Python loop
        return values
    if kinds == {str}:
        return list(values)
    if any(isinstance(v, str) for v in values):
        raise ValueError(f"{where} mixes numbers and strings; use all-numeric or all-string values")
    out: list[float] = []
    for v in values:
        if v is None or isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{where} contains {_preview(v)}; covariate values must be numbers or strings")
        number = _as_float(v)
        if not math.isfinite(number):
            raise ValueError(f"{where} contains a non-finite value ({_preview(v)})")
        out.append(number)
    return out


def _sums_finite(values: list[Any]) -> bool:
    """True when every value is a finite number, decided in C (``sum``) for the common case.

    False means "look closer": a ``None``, a non-finite value, or a sum that overflowed.
    """
    try:
        return math.isfinite(sum(values))
    except TypeError:
        return False


def _has_none(values: list[Any]) -> bool:
    """Whether a list of numbers holds a ``None`` (``sum`` stops on it with a TypeError)."""
    try:
        sum(values)
    except TypeError:
        return True
    return False


def _as_float(value: int | float) -> float:
    """``float(value)``, with integers too large for a float as infinity (not an OverflowError)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _preview(value: Any) -> str:
    """A short, safe rendering of a user's value for an error message."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "a very large integer"
    return reprlib.repr(value)


def _check_encodable(value: Any, where: str, depth: int = 0) -> None:
    """Free-form sections go to runners as JSON frames: integers of at most 64 bits, finite
    numbers, and at most ``MAX_NESTING`` levels (orjson writes no more than 254)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        raise ValueError(f"{where} holds an integer outside the 64-bit range")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} is not a finite number ({value})")
    if isinstance(value, float) and abs(value) >= 2.0**64 and value.is_integer():
        # orjson reads an integer beyond 64 bits as a float: refused like the integer it was.
        raise ValueError(f"{where} holds a number outside the 64-bit integer range")
    if isinstance(value, dict | list) and depth >= MAX_NESTING:
        raise ValueError(f"{where} is nested more than {MAX_NESTING} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_encodable(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_encodable(item, f"{where}[{index}]", depth + 1)


class SeriesInput(_Wire):
    """One input series; ``null`` in ``target`` is a missing value."""

    id: str = Field(min_length=1)
    freq: str | None = None
    timestamps: list[str] | None = None
    target: list[float | None] = Field(json_schema_extra={"minItems": 1, "contains": {"type": "number"}})
    past_covariates: dict[str, list[Any]] = Field(default_factory=dict, json_schema_extra=COVARIATES_SCHEMA)
    future_covariates: dict[str, list[Any]] = Field(default_factory=dict, json_schema_extra=COVARIATES_SCHEMA)
    static_covariates: dict[str, float | str] = Field(default_factory=dict)
    actuals: list[float] | None = None

    @property
    def has_gaps(self) -> bool:
        return _has_none(self.target)

    def check(self, horizon: int) -> None:
        """Raise ValueError naming this series and the field at fault."""
        sid = self.id
        n = len(self.target)
        if n == 0:
            raise ValueError(f"series '{sid}': target is empty")
        if not _sums_finite(self.target):
            if all(v is None for v in self.target):
                raise ValueError(f"series '{sid}': target has no observed values (all null)")
            for i, v in enumerate(self.target):
                if v is not None and not math.isfinite(v):
                    raise ValueError(f"series '{sid}': target[{i}] is not finite ({v})")
        if self.timestamps is not None and len(self.timestamps) != n:
            raise ValueError(f"series '{sid}': timestamps has {len(self.timestamps)} values but target has {n}")
        for name, values in self.past_covariates.items():
            if len(values) != n:
                raise ValueError(
                    f"series '{sid}': past_covariates['{name}'] has {len(values)} values but target has {n}"
                )
            self.past_covariates[name] = _covariate_array(sid, "past_covariates", name, values)
        for name, values in self.future_covariates.items():
            if name not in self.past_covariates:
                raise ValueError(
                    f"series '{sid}': future_covariates['{name}'] has no past_covariates['{name}']; "
                    "every known-future covariate needs its history too"
                )
            if len(values) != horizon:
                raise ValueError(
                    f"series '{sid}': future_covariates['{name}'] has {len(values)} values but horizon is {horizon}"
                )
            self.future_covariates[name] = _covariate_array(sid, "future_covariates", name, values)
            past_is_str = bool(self.past_covariates[name]) and isinstance(self.past_covariates[name][0], str)
            future_is_str = bool(values) and isinstance(self.future_covariates[name][0], str)
            if past_is_str != future_is_str:
                raise ValueError(
                    f"series '{sid}': covariate '{name}' is numeric in one of past/future and string in the other"
                )
        for name, value in self.static_covariates.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"series '{sid}': static_covariates['{name}'] is not finite")
        if self.actuals is not None:
            if len(self.actuals) != horizon:
                raise ValueError(f"series '{sid}': actuals has {len(self.actuals)} values but horizon is {horizon}")
            if not _sums_finite(self.actuals) and not all(math.isfinite(v) for v in self.actuals):
                raise ValueError(f"series '{sid}': actuals contains a non-finite value")


class MetricsParameters(_Wire):
    names: list[MetricName] = Field(default_factory=list)
    mase_seasonality: int = Field(default=1, ge=1, le=1_000_000)


class ForecastParameters(BaseModel):
    """Shared knobs plus family sections (``timesfm``, ``stats``, ...) passed through as-is."""

    model_config = ConfigDict(extra="allow")

    covariates_mode: Literal["best_effort", "strict"] = "best_effort"
    metrics: MetricsParameters | None = None

    @model_validator(mode="after")
    def _check_sections(self) -> ForecastParameters:
        _check_encodable(self.model_extra or {}, "parameters")
        return self


class ForecastRequest(_Wire):
    """The one forecast contract every family serves."""

    model: str | None = Field(
        default=None, validation_alias=AliasChoices("model", "name"), json_schema_extra=MODEL_NAME_SCHEMA
    )
    horizon: int = Field(ge=1)
    quantiles: list[float] = Field(
        default_factory=list,
        json_schema_extra={
            "items": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "uniqueItems": True,
        },
    )
    series: list[SeriesInput] = Field(min_length=1)
    parameters: ForecastParameters = Field(default_factory=ForecastParameters)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _check_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        _check_encodable(options, "options")
        return options

    @field_validator("quantiles")
    @classmethod
    def _check_quantiles(cls, levels: list[float]) -> list[float]:
        for q in levels:
            if not 0.0 < q < 1.0:
                raise ValueError(f"quantile {q} is outside (0, 1)")
        if len(set(levels)) != len(levels):
            raise ValueError(f"quantiles contain duplicates: {levels}")
        return sorted(levels)

    @model_validator(mode="after")
    def _check_series(self) -> ForecastRequest:
        seen: set[str] = set()
        for series in self.series:
            if series.id in seen:
                raise ValueError(f"series id '{series.id}' appears more than once; ids must be unique")
            seen.add(series.id)
            series.check(self.horizon)
        return self


class ForecastApiRequest(ForecastRequest):
    """``POST /api/forecast`` body: the contract plus Ollama's ``stream`` and ``keep_alive``."""

    stream: bool = True
    keep_alive: str | float | None = None


def quantile_key(level: float) -> str:
    """Response key of a quantile level: the JSON number as a string (``0.1`` -> ``"0.1"``)."""
    return repr(float(level))


class SeriesForecast(_Wire):
    id: str
    freq: str | None = None
    start_timestamp: str | None = None
    timestamps: list[str] | None = None
    mean: list[float]
    quantiles: dict[str, list[float]] | None = None
    model: str | None = None  # an `auto` model's answer names the candidate that served the series


class SeriesMetrics(_Wire):
    id: str
    values: dict[str, float]


class ForecastMetrics(_Wire):
    aggregate: dict[str, float]
    series: list[SeriesMetrics]


class ForecastResponse(_Wire):
    model: str
    done: bool = True
    forecasts: list[SeriesForecast]
    done_reason: str | None = Field(
        default=None, description="'load' or 'unload' for a request with a model and no series (Ollama's idiom)"
    )
    metrics: ForecastMetrics | None = None
    warnings: list[str] | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    selection: dict[str, dict[str, float | None]] | None = None  # `auto`: per series, each candidate's score


class RunnerSeriesForecast(_Wire):
    """What a runner returns per series; the daemon adds timestamps, sorting and metrics."""

    id: str
    mean: list[float]
    quantiles: dict[str, list[float]] | None = None


class RunnerForecast(_Wire):
    forecasts: list[RunnerSeriesForecast]
    warnings: list[str] = Field(default_factory=list)


# --- registry and store --------------------------------------------------------------------


class ModelSource(_Wire):
    """Where a model's weights come from.

    ``package``: they ship inside a pinned Python distribution (``package==version``) installed
    in the family's runtime; ``allow_patterns`` then names the files the runner loads and
    ``weights`` the format the library loads them as. Nothing is downloaded from a hub.
    """

    type: Literal["builtin", "huggingface", "package"] = "builtin"
    repo_id: str | None = None
    revision: str | None = None
    allow_patterns: list[str] | None = None
    package: str | None = None
    version: str | None = None
    weights: str | None = None


LicenseClass = Literal["permissive", "non-commercial", "revenue-capped", "sign-up"]


class LicenseInfo(_Wire):
    id: str = "apache-2.0"
    needs_acceptance: bool = False
    url: str | None = None
    # What the weights' licence allows: the daemon's license_policy refuses some classes.
    category: LicenseClass = "permissive"


class Capabilities(_Wire):
    """What a model accepts; the daemon drops the rest before a runner sees it."""

    past_covariates_numeric: bool = False
    past_covariates_categorical: bool = False
    future_covariates_numeric: bool = False
    future_covariates_categorical: bool = False
    static_covariates: bool = False
    quantiles: bool = True
    missing_values: bool = True


class Limits(_Wire):
    max_horizon: int | None = None
    max_context: int | None = None
    max_series: int | None = None
    max_quantiles: int | None = None


class ModelSpec(_Wire):
    """A registry entry: what can be pulled."""

    name: str
    family: str
    description: str = ""
    source: ModelSource = Field(default_factory=ModelSource)
    license: LicenseInfo = Field(default_factory=LicenseInfo)
    capabilities: Capabilities = Field(default_factory=Capabilities)
    limits: Limits = Field(default_factory=Limits)
    notes: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    ensemble: EnsembleSpec | None = None  # a derived model (core/derived.py): members instead of weights
    auto: AutoSpec | None = None


class ResolvedSnapshot(_Wire):
    commit_sha: str | None = None
    snapshot_path: str | None = None
    package_version: str | None = None  # package sources: the distribution version found at pull
    sha256: dict[str, str] | None = None  # package sources: each loaded weight file's digest


class ModelManifest(ModelSpec):
    """An installed model: the spec it was pulled from plus what the pull resolved."""

    resolved: ResolvedSnapshot = Field(default_factory=ResolvedSnapshot)
    size_bytes: int = 0
    pulled_at: str
    accepted_at: str | None = None


# --- lifecycle bodies ----------------------------------------------------------------------


class ModelRequest(_Wire):
    """Body naming one model (``show``, ``delete``); ``name`` is accepted as an alias."""

    model: str = Field(validation_alias=AliasChoices("model", "name"), json_schema_extra=MODEL_NAME_SCHEMA)


class PullRequest(ModelRequest):
    stream: bool = True
    accept_license: bool = False
    insecure: bool = False
    offline: bool | None = None
    https_proxy: str | None = None
    http_proxy: str | None = None
    no_proxy: str | None = None
    hf_home: str | None = None
    token: str | None = None


class ModelSummary(_Wire):
    name: str
    family: str
    size: int
    modified_at: str
    license: str
    capabilities: Capabilities
    error: str | None = None  # set for a broken install (unreadable manifest): pull or rm repairs it


class TagsResponse(_Wire):
    models: list[ModelSummary]


class LoadedModelInfo(_Wire):
    name: str
    family: str
    pid: int | None
    loaded_at: str
    expires_at: str | None
    runtime: str | None = None
    rss_bytes: int | None = Field(default=None, description="The runner process's resident memory")
    device: str | None = Field(default=None, description="CUDA when the runner holds a GPU open, else CPU")


class PsResponse(_Wire):
    models: list[LoadedModelInfo]


class StatusEvent(_Wire):
    """A progress line of a streamed answer (``/api/pull``, ``/api/forecast``), and a pull's final object."""

    status: str
    done: bool = False
    digest: str | None = None
    total: int | None = None
    completed: int | None = None


class ErrorResponse(_Wire):
    """Every error answer; also the last line of a stream that failed after it began (with its status)."""

    error: str
    status: int | None = None


class VersionResponse(_Wire):
    version: str


class HealthResponse(_Wire):
    status: str
    version: str


# --- runtimes ------------------------------------------------------------------------------


class RuntimeInfo(_Wire):
    """A family's runtime as ``tollama runtime list`` and ``/api/info`` show it.

    ``status``: ready, stale (rebuilt on next use; ``detail`` says why), building, failed
    (``detail`` has the installer's last lines) or not installed. ``python`` is the interpreter
    the family's runner uses now: the runtime's, or the daemon's own (``uses_runtime`` false).
    """

    family: str
    status: str
    uses_runtime: bool
    python: str
    path: str
    bootstraps_on_first_use: bool
    extra: str | None = None
    tollama_version: str | None = None
    python_version: str | None = None
    torch_version: str | None = None
    installer: str | None = None
    size_bytes: int = 0
    created_at: str | None = None
    detail: str | None = None


class RuntimesResponse(_Wire):
    runtimes: list[RuntimeInfo]


class RuntimeRequest(_Wire):
    """Body of ``POST /api/runtimes/install`` and ``DELETE /api/runtimes``."""

    family: str
    stream: bool = True
    force: bool = False
