"""``AsyncClient``: the asyncio client (httpx). Same methods as ``Client``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
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


class AsyncClient(BaseClient):
    def __init__(self, *args: Any, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=self.headers,
            timeout=self.timeout,
            transport=transport,
            trust_env=False,
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- I/O --------------------------------------------------------------------------------

    async def _send(self, call: Call[T]) -> T:
        with self.transport_errors():
            response = await self._http.request(call.method, call.path, json=call.body)
        return call.parse(self.parse_body(response.status_code, response.content))

    async def _stream(self, call: Call[Any]) -> AsyncIterator[dict[str, Any]]:
        with self.transport_errors():
            async with self._http.stream(call.method, call.path, json=call.body) as response:
                if response.status_code >= 400:
                    self.parse_body(response.status_code, await response.aread())
                async for line in response.aiter_lines():
                    if line.strip():
                        yield self.parse_line(line)

    # --- API --------------------------------------------------------------------------------

    async def version(self) -> str:
        return await self._send(self._version())

    async def info(self) -> dict[str, Any]:
        return await self._send(self._info())

    async def list(self) -> TagsResponse:
        return await self._send(self._list())

    async def ps(self) -> PsResponse:
        return await self._send(self._ps())

    async def show(self, model: str) -> ModelManifest:
        return await self._send(self._show(model))

    async def delete(self, model: str) -> dict[str, Any]:
        return await self._send(self._delete(model))

    @overload
    async def pull(self, model: str, *, stream: Literal[False] = False, **options: Any) -> dict[str, Any]: ...
    @overload
    async def pull(self, model: str, *, stream: Literal[True], **options: Any) -> AsyncIterator[dict[str, Any]]: ...
    async def pull(self, model: str, *, stream: bool = False, **options: Any) -> Any:
        """The final status, or (``stream=True``) an async iterator of progress events.

        As in ollama-python: ``async for event in await client.pull(name, stream=True)``.
        """
        call = self._pull(model, stream, options)
        return self._stream(call) if stream else await self._send(call)

    @overload
    async def forecast(
        self, data: pd.DataFrame | pd.Series, **arguments: Unpack[ForecastArguments]
    ) -> ForecastResult: ...
    @overload
    async def forecast(
        self, data: ForecastRequest | Mapping[str, Any], **arguments: Unpack[ForecastArguments]
    ) -> ForecastResponse: ...
    async def forecast(self, data: ForecastInput, **arguments: Unpack[ForecastArguments]) -> Any:
        """A ``ForecastResult`` for a DataFrame or Series, else a ``ForecastResponse``."""
        return await self._send(self._forecast_input(data, **arguments))

    def forecast_stream(self, data: ForecastInput, **arguments: Unpack[ForecastArguments]) -> AsyncIterator[dict]:
        """Status events, the last being the final response object."""
        return self._stream(self._forecast_input(data, stream=True, **arguments))

    async def runtimes(self) -> RuntimesResponse:
        return await self._send(self._runtimes())

    async def install_runtime(self, family: str, *, force: bool = False) -> dict[str, Any]:
        return await self._send(self._install_runtime(family, False, force))

    def install_runtime_stream(self, family: str, *, force: bool = False) -> AsyncIterator[dict[str, Any]]:
        return self._stream(self._install_runtime(family, True, force))

    async def remove_runtime(self, family: str) -> dict[str, Any]:
        return await self._send(self._remove_runtime(family))

    async def evaluate(self, data: Any, **arguments: Any) -> EvaluationResult:
        """Backtest ``models`` over a long DataFrame (or a dict with ``series``): an ``EvaluationResult``.

        Arguments follow Nixtla: ``models``, ``h``, ``n_windows``, ``step_size``, ``level`` or
        ``quantiles``, ``metrics`` (plus ``seasonality``, ``parameters``, ``options``). Runs as a
        stream, so a long backtest never trips the read timeout.
        """
        call = self._evaluate_input(data, stream=True, **arguments)
        final: dict[str, Any] = {}
        async for line in self._stream(call):
            final = line
        return call.parse(final)

    async def cross_validation(self, data: Any, **arguments: Any) -> pd.DataFrame:
        """The window forecasts as Nixtla's long frame: ``unique_id, ds, cutoff, y`` and a column per model."""
        result = await self.evaluate(data, return_forecasts=True, **arguments)
        return result.cross_validation()

    def evaluate_stream(self, data: Any, **arguments: Any) -> AsyncIterator[dict[str, Any]]:
        """Progress lines, the last being the final object (a dict)."""
        return self._stream(self._evaluate_input(data, stream=True, **arguments))
