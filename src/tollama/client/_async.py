"""``AsyncClient``: the asyncio client (httpx). Same methods as ``Client``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx

from tollama.client._base import BaseClient, Call, forecast_body
from tollama.core.errors import ForecastTimeout
from tollama.core.schemas import (
    ForecastRequest,
    ForecastResponse,
    ModelManifest,
    PsResponse,
    RuntimesResponse,
    TagsResponse,
)

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
        try:
            response = await self._http.request(call.method, call.path, json=call.body)
        except httpx.TimeoutException as exc:
            raise ForecastTimeout(f"no answer from {self.base_url} within {self.timeout:g}s") from exc
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc
        return call.parse(self.parse_body(response.status_code, response.content))

    async def _stream(self, call: Call[Any]) -> AsyncIterator[dict[str, Any]]:
        try:
            async with self._http.stream(call.method, call.path, json=call.body) as response:
                if response.status_code >= 400:
                    self.parse_body(response.status_code, await response.aread())
                async for line in response.aiter_lines():
                    if line.strip():
                        yield self.parse_line(line)
        except httpx.TimeoutException as exc:
            raise ForecastTimeout(f"no answer from {self.base_url} within {self.timeout:g}s") from exc
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc

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

    async def pull(self, model: str, **options: Any) -> dict[str, Any]:
        return await self._send(self._pull(model, False, options))

    def pull_stream(self, model: str, **options: Any) -> AsyncIterator[dict[str, Any]]:
        return self._stream(self._pull(model, True, options))

    async def forecast(self, request: ForecastRequest | dict[str, Any], **overrides: Any) -> ForecastResponse:
        return await self._send(self._forecast(forecast_body(request, **overrides), stream=False))

    def forecast_stream(self, request: ForecastRequest | dict[str, Any], **overrides: Any) -> AsyncIterator[dict]:
        return self._stream(self._forecast(forecast_body(request, **overrides), stream=True))

    async def runtimes(self) -> RuntimesResponse:
        return await self._send(self._runtimes())

    async def install_runtime(self, family: str, *, force: bool = False) -> dict[str, Any]:
        return await self._send(self._install_runtime(family, False, force))

    def install_runtime_stream(self, family: str, *, force: bool = False) -> AsyncIterator[dict[str, Any]]:
        return self._stream(self._install_runtime(family, True, force))

    async def remove_runtime(self, family: str) -> dict[str, Any]:
        return await self._send(self._remove_runtime(family))
