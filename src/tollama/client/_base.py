"""Request building and response parsing shared by ``Client`` and ``AsyncClient`` (no I/O).

Each verb is a ``Call``: method, path, body and a parser from JSON to a typed result. The two
clients only send calls; errors are rebuilt from the status into the ``core.errors`` classes.
What a forecast accepts (a request, a dict, the SageMaker dialect, a DataFrame or a Series) is
sorted out here once, so the DataFrame path adds no method to either client.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypedDict, TypeVar

import httpx
import orjson

from tollama.client.dialects import is_sagemaker_payload, sagemaker_to_request
from tollama.core.config import env, env_is_set, forecast_timeout_seconds, host_to_url
from tollama.core.errors import (
    DaemonUnreachable,
    ForecastTimeout,
    InvalidRequest,
    TollamaError,
    error_from_status,
)
from tollama.core.schemas import (
    ForecastRequest,
    ForecastResponse,
    ModelManifest,
    PsResponse,
    RuntimesResponse,
    TagsResponse,
)

if TYPE_CHECKING:
    import pandas as pd

    from tollama.client.evaluation import EvaluationResult
    from tollama.client.frames import ForecastResult

T = TypeVar("T")
ForecastInput: TypeAlias = "ForecastRequest | Mapping[str, Any] | pd.DataFrame | pd.Series"
# Slack over the daemon's own runner timeout, so the daemon's 504 (with its message) arrives first.
TIMEOUT_SLACK_SECONDS = 10.0
FRAME_ONLY_ARGUMENTS = ("freq", "X_df", "id_col", "time_col", "target_col")


class ForecastArguments(TypedDict, total=False):
    """Keyword arguments of ``forecast``; they override the fields of a request or a dict."""

    model: str
    horizon: int
    h: int  # Nixtla's name for horizon
    quantiles: Sequence[float]
    level: Sequence[float]  # Nixtla's central intervals (80 -> quantiles 0.1 and 0.9)
    keep_alive: str | float
    parameters: dict[str, Any]
    options: dict[str, Any]
    # DataFrame or Series input only:
    freq: str
    X_df: pd.DataFrame
    id_col: str
    time_col: str
    target_col: str


def _identity(data: dict[str, Any]) -> dict[str, Any]:
    return data


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    body: dict[str, Any] | None = None
    parse: Callable[[dict[str, Any]], T] = _identity  # type: ignore[assignment]


def resolve_base_url(base_url: str | None) -> str:
    """``base_url`` argument > ``TOLLAMA_BASE_URL`` > ``TOLLAMA_HOST`` > ``http://localhost:11435``."""
    if base_url:
        url = base_url
    elif env_is_set("TOLLAMA_BASE_URL") or not env_is_set("TOLLAMA_HOST"):
        url = env("TOLLAMA_BASE_URL")
    else:
        url = host_to_url(env("TOLLAMA_HOST"))
    if "://" not in url:
        url = f"http://{url}"
    return url.rstrip("/")


def resolve_timeout(timeout: float | None) -> float:
    """``timeout`` argument > ``TOLLAMA_FORECAST_TIMEOUT_SECONDS`` plus slack (300 s + 10 s)."""
    if timeout is not None:
        return float(timeout)
    try:
        return forecast_timeout_seconds() + TIMEOUT_SLACK_SECONDS
    except InvalidRequest:  # the daemon reports a bad value; a client keeps working
        return float(env("TOLLAMA_FORECAST_TIMEOUT_SECONDS", {})) + TIMEOUT_SLACK_SECONDS


def forecast_body(request: ForecastRequest | Mapping[str, Any], **overrides: Any) -> dict[str, Any]:
    """A request body from a request, a dict or the SageMaker dialect, with ``overrides`` on top."""
    if isinstance(request, ForecastRequest):
        body = request.model_dump(mode="json", exclude_none=True)
    elif isinstance(request, Mapping):
        body = sagemaker_to_request(request) if is_sagemaker_payload(request) else dict(request)
    else:
        raise InvalidRequest(
            f"cannot forecast a {type(request).__name__}; pass a ForecastRequest, a dict, "
            "a long DataFrame (unique_id, ds, y) or a pandas Series with a DatetimeIndex"
        )
    body.update({k: v for k, v in overrides.items() if v is not None})
    return body


def check_arguments(arguments: dict[str, Any]) -> None:
    """Refuse what ``forecast`` cannot honour, as Python and Nixtla users expect.

    A misspelt keyword is a ``TypeError`` (as for any Python function); ``fitted=True`` (Nixtla's
    in-sample values) is refused by name, since the models here forecast ahead only. ``fitted``
    is removed from ``arguments``, and Nixtla's ``h`` becomes ``horizon``.
    """
    if "h" in arguments:
        arguments["horizon"] = one_horizon("forecast", arguments.pop("h"), arguments.get("horizon"))
    known = ForecastArguments.__optional_keys__ | ForecastArguments.__required_keys__
    for name in arguments:
        if name not in known and name != "fitted":
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f". Did you mean '{close[0]}'?" if close else ""
            raise TypeError(f"forecast() got an unexpected keyword argument '{name}'{hint}")
    if arguments.pop("fitted", False):
        raise InvalidRequest(
            "fitted=True is not supported: tollama's models forecast ahead only and return no in-sample "
            "values; to measure accuracy, hold out the last points and pass them as `actuals` (metrics)"
        )


def one_horizon(verb: str, h: int | None, horizon: int | None) -> int | None:
    """Nixtla's ``h`` or tollama's ``horizon``: either name works, both at once is a ``TypeError``."""
    if h is not None and horizon is not None:
        raise TypeError(f"{verb}() got both 'h' and 'horizon'; they are the same argument, pass one")
    return h if h is not None else horizon


def _is_pandas(data: object) -> bool:
    return type(data).__module__.startswith("pandas.")


class BaseClient:
    """Base URL, headers, timeout and one builder per route."""

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        key = api_key or env("TOLLAMA_API_KEY")
        self.headers = {"content-type": "application/json", **(headers or {})}
        if key:
            self.headers["authorization"] = f"Bearer {key}"

    # --- builders (one per route) -----------------------------------------------------------

    @staticmethod
    def _version() -> Call[str]:
        return Call("GET", "/api/version", parse=lambda d: str(d["version"]))

    @staticmethod
    def _info() -> Call[dict[str, Any]]:
        return Call("GET", "/api/info")

    @staticmethod
    def _list() -> Call[TagsResponse]:
        return Call("GET", "/api/tags", parse=TagsResponse.model_validate)

    @staticmethod
    def _ps() -> Call[PsResponse]:
        return Call("GET", "/api/ps", parse=PsResponse.model_validate)

    @staticmethod
    def _show(model: str) -> Call[ModelManifest]:
        return Call("POST", "/api/show", {"model": model}, ModelManifest.model_validate)

    @staticmethod
    def _delete(model: str) -> Call[dict[str, Any]]:
        return Call("DELETE", "/api/delete", {"model": model})

    @staticmethod
    def _pull(model: str, stream: bool, options: dict[str, Any]) -> Call[dict[str, Any]]:
        body = {"model": model, "stream": stream, **{k: v for k, v in options.items() if v is not None}}
        return Call("POST", "/api/pull", body)

    @staticmethod
    def _create(model: str, stream: bool, definition: dict[str, Any]) -> Call[dict[str, Any]]:
        return Call("POST", "/api/create", {"model": model, "stream": stream, **definition})

    @staticmethod
    def _forecast(body: dict[str, Any], stream: bool, path: str = "/api/forecast") -> Call[ForecastResponse]:
        payload = {**body, "stream": stream} if path == "/api/forecast" else body
        return Call("POST", path, payload, ForecastResponse.model_validate)

    @staticmethod
    def _stop(model: str) -> Call[ForecastResponse]:
        """Ollama's unload idiom: the model, ``keep_alive`` 0 and no series."""
        body = {"model": model, "keep_alive": 0, "stream": False}
        return Call("POST", "/api/forecast", body, ForecastResponse.model_validate)

    @staticmethod
    def _shutdown() -> Call[dict[str, Any]]:
        return Call("POST", "/api/shutdown")

    @staticmethod
    def _runtimes() -> Call[RuntimesResponse]:
        return Call("GET", "/api/runtimes", parse=RuntimesResponse.model_validate)

    @staticmethod
    def _install_runtime(family: str, stream: bool, force: bool) -> Call[dict[str, Any]]:
        return Call("POST", "/api/runtimes/install", {"family": family, "stream": stream, "force": force})

    @staticmethod
    def _remove_runtime(family: str) -> Call[dict[str, Any]]:
        return Call("DELETE", "/api/runtimes", {"family": family})

    @classmethod
    def _forecast_input(
        cls, data: ForecastInput, stream: bool = False, **arguments: Any
    ) -> Call[ForecastResponse] | Call[ForecastResult]:
        """The forecast call for any accepted input; pandas input parses into a ``ForecastResult``."""
        check_arguments(arguments)
        from tollama.client.evaluation import add_level_columns, levels_to_quantiles

        level = arguments.pop("level", None)
        if level is not None:
            arguments["quantiles"] = levels_to_quantiles(level, arguments.get("quantiles"))
        if not _is_pandas(data):
            frame_only = [n for n in FRAME_ONLY_ARGUMENTS if arguments.get(n) is not None]
            if frame_only:
                raise InvalidRequest(f"{', '.join(frame_only)} only apply to DataFrame or Series input")
            return cls._forecast(forecast_body(data, **arguments), stream)  # type: ignore[arg-type]
        from tollama.client.frames import ForecastResult, prepare_frame

        prepared = prepare_frame(data, **arguments)
        call = cls._forecast(prepared.body, stream)

        def parse(data: dict[str, Any]) -> ForecastResult:
            result = ForecastResult(call.parse(data), prepared)
            if level is not None:  # Nixtla's columns: <model>-lo-80, <model>-hi-80
                add_level_columns(result.df, {result.response.model: "q"}, level)
            return result

        return Call(call.method, call.path, call.body, parse)

    @staticmethod
    def _evaluate(body: dict[str, Any], stream: bool) -> Call[dict[str, Any]]:
        return Call("POST", "/api/evaluate", {**body, "stream": stream})

    @classmethod
    def _evaluate_input(
        cls, data: Any, stream: bool = False, return_forecasts: bool = False, **arguments: Any
    ) -> Call[EvaluationResult]:
        """The evaluate call for a long DataFrame or a dict with ``series``; parses into an ``EvaluationResult``."""
        from tollama.client.evaluation import EvaluationResult, evaluate_body

        body, history = evaluate_body(data, return_forecasts=return_forecasts or None, **arguments)
        level = list(arguments.get("level") or [])
        return Call("POST", "/api/evaluate", {**body, "stream": stream}, lambda d: EvaluationResult(d, history, level))

    # --- parsing ----------------------------------------------------------------------------

    @staticmethod
    def parse_body(status: int, content: bytes) -> dict[str, Any]:
        """JSON of a complete response, or the error class its status stands for."""
        try:
            data = orjson.loads(content) if content else {}
        except orjson.JSONDecodeError:
            data = {"error": content.decode("utf-8", "replace").strip()[:300] or f"HTTP {status}"}
        if status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise error_from_status(status, str(message or f"HTTP {status}"))
        return data

    @staticmethod
    def parse_line(line: str | bytes) -> dict[str, Any]:
        """One NDJSON event; an ``{"error"}`` line raises."""
        data = orjson.loads(line)
        if isinstance(data, dict) and "error" in data:
            status = data.get("status")
            if isinstance(status, int) and status >= 400:
                raise error_from_status(status, str(data["error"]))
            raise TollamaError(str(data["error"]))
        return data

    @contextlib.contextmanager
    def transport_errors(self) -> Iterator[None]:
        """httpx's transport failures as tollama errors (both clients wrap every request in this)."""
        try:
            yield
        except httpx.ConnectTimeout as exc:
            raise self.unreachable(exc) from exc
        except httpx.TimeoutException as exc:
            raise ForecastTimeout(
                f"no answer from {self.base_url} within {self.timeout:g}s; "
                "raise the client timeout (timeout=..., CLI --timeout)"
            ) from exc
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc

    def unreachable(self, exc: Exception) -> DaemonUnreachable:
        return DaemonUnreachable(
            f"cannot reach the tollama daemon at {self.base_url} ({type(exc).__name__}); "
            "start it with `tollama serve` or set TOLLAMA_BASE_URL"
        )
