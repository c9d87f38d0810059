"""``Client``: the blocking client (httpx). Methods mirror the routes one for one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Unpack, overload

import httpx

from tollama.client._base import BaseClient, Call, ForecastArguments, ForecastInput
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


class Client(BaseClient):
    def __init__(self, *args: Any, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=self.headers,
            timeout=self.timeout,
            transport=transport,
            trust_env=False,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- I/O --------------------------------------------------------------------------------

    def _send(self, call: Call[T]) -> T:
        with self.transport_errors():
            response = self._http.request(call.method, call.path, json=call.body)
        return call.parse(self.parse_body(response.status_code, response.content))

    def _stream(self, call: Call[Any]) -> Iterator[dict[str, Any]]:
        with self.transport_errors(), self._http.stream(call.method, call.path, json=call.body) as response:
            if response.status_code >= 400:
                self.parse_body(response.status_code, response.read())
            for line in response.iter_lines():
                if line.strip():
                    yield self.parse_line(line)

    # --- API --------------------------------------------------------------------------------

    def version(self) -> str:
        return self._send(self._version())

    def info(self) -> dict[str, Any]:
        return self._send(self._info())

    def list(self) -> TagsResponse:
        return self._send(self._list())

    def ps(self) -> PsResponse:
        return self._send(self._ps())

    def show(self, model: str) -> ModelManifest:
        return self._send(self._show(model))

    def delete(self, model: str) -> dict[str, Any]:
        return self._send(self._delete(model))

    @overload
    def pull(self, model: str, *, stream: Literal[False] = False, **options: Any) -> dict[str, Any]: ...
    @overload
    def pull(self, model: str, *, stream: Literal[True], **options: Any) -> Iterator[dict[str, Any]]: ...
    def pull(self, model: str, *, stream: bool = False, **options: Any) -> Any:
        """The final status, or (``stream=True``) an iterator of progress events."""
        call = self._pull(model, stream, options)
        return self._stream(call) if stream else self._send(call)

    @overload
    def forecast(self, data: pd.DataFrame | pd.Series, **arguments: Unpack[ForecastArguments]) -> ForecastResult: ...
    @overload
    def forecast(
        self, data: ForecastRequest | Mapping[str, Any], **arguments: Unpack[ForecastArguments]
    ) -> ForecastResponse: ...
    def forecast(self, data: ForecastInput, **arguments: Unpack[ForecastArguments]) -> Any:
        """A ``ForecastResult`` for a DataFrame or Series, else a ``ForecastResponse``."""
        return self._send(self._forecast_input(data, **arguments))

    def forecast_stream(self, data: ForecastInput, **arguments: Unpack[ForecastArguments]) -> Iterator[dict]:
        """Status events, the last being the final response object."""
        return self._stream(self._forecast_input(data, stream=True, **arguments))

    def runtimes(self) -> RuntimesResponse:
        return self._send(self._runtimes())

    def install_runtime(self, family: str, *, stream: bool = False, force: bool = False) -> Any:
        """The final status, or (``stream=True``) an iterator of build progress events."""
        call = self._install_runtime(family, stream, force)
        return self._stream(call) if stream else self._send(call)

    def remove_runtime(self, family: str) -> dict[str, Any]:
        return self._send(self._remove_runtime(family))

    def evaluate(self, data: Any, **arguments: Any) -> EvaluationResult:
        """Backtest ``models`` over a long DataFrame (or a dict with ``series``): an ``EvaluationResult``.

        Arguments follow Nixtla: ``models``, ``h``, ``n_windows``, ``step_size``, ``level`` or
        ``quantiles``, ``metrics`` (plus ``seasonality``, ``parameters``, ``options``). Runs as a
        stream, so a long backtest never trips the read timeout.
        """
        call = self._evaluate_input(data, stream=True, **arguments)
        final: dict[str, Any] = {}
        for line in self._stream(call):
            final = line
        return call.parse(final)

    def cross_validation(self, data: Any, **arguments: Any) -> pd.DataFrame:
        """The window forecasts as Nixtla's long frame: ``unique_id, ds, cutoff, y`` and a column per model."""
        result = self.evaluate(data, return_forecasts=True, **arguments)
        return result.cross_validation()

    def evaluate_stream(self, data: Any, **arguments: Any) -> Iterator[dict[str, Any]]:
        """Progress lines, the last being the final object (a dict)."""
        return self._stream(self._evaluate_input(data, stream=True, **arguments))
