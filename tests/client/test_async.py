"""``AsyncClient`` against a real daemon: same verbs and inputs as ``Client``, awaited."""

from __future__ import annotations

import asyncio

import pandas as pd

from tollama import AsyncClient, ForecastResult
from tollama.testing.daemon import DaemonProcess


def test_async_client_round_trip(mock_daemon: DaemonProcess):
    async def go() -> None:
        async with AsyncClient(base_url=mock_daemon.base_url) as client:
            assert await client.version() == "0.1.0"
            assert [m.name for m in (await client.list()).models] == ["mock"]
            events = [event async for event in await client.pull("mock", stream=True)]
            assert events[-1] == {"status": "success", "done": True}
            assert await client.pull("mock") == {"status": "success", "done": True}

            frame = pd.DataFrame({"ds": pd.date_range("2025-01-01", periods=4, freq="D"), "y": [1.0, 2.0, 3.0, 4.0]})
            result, response = await asyncio.gather(
                client.forecast(frame, model="mock", horizon=2, quantiles=[0.5]),
                client.forecast({"model": "mock", "horizon": 1, "series": [{"id": "x", "target": [7.0]}]}),
            )
            assert isinstance(result, ForecastResult)
            assert result.df.to_dict("list") == {
                "unique_id": ["series", "series"],
                "ds": [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-01-06")],
                "mean": [4.0, 4.0],
                "q0.5": [4.0, 4.0],
            }
            assert response.forecasts[0].mean == [7.0]

            streamed = [event async for event in client.forecast_stream(frame, model="mock", horizon=1)]
            assert streamed[-1]["done"] is True and streamed[-1]["forecasts"][0]["timestamps"] == ["2025-01-05"]
            assert [m.name for m in (await client.ps()).models] == ["mock"]
            assert (await client.show("mock")).name == "mock"

    asyncio.run(go())
