"""Every typed error from a real condition against a real daemon, through both clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tollama import (
    AsyncClient,
    Client,
    DaemonUnreachable,
    ForecastTimeout,
    InvalidRequest,
    LicenseRequired,
    ModelNotFound,
)
from tollama.testing.daemon import DaemonProcess, free_port

SERIES = [{"id": "s", "target": [1.0, 2.0]}]


def _sync(base_url: str, timeout: float, verb: str, *args: Any, **kwargs: Any) -> Any:
    with Client(base_url=base_url, timeout=timeout) as client:
        result = getattr(client, verb)(*args, **kwargs)
        return list(result) if kwargs.get("stream") else result


def _async(base_url: str, timeout: float, verb: str, *args: Any, **kwargs: Any) -> Any:
    async def go() -> Any:
        async with AsyncClient(base_url=base_url, timeout=timeout) as client:
            result = await getattr(client, verb)(*args, **kwargs)
            return [event async for event in result] if kwargs.get("stream") else result

    return asyncio.run(go())


CLIENTS = pytest.mark.parametrize("call", [_sync, _async], ids=["sync", "async"])
Call = Callable[..., Any]


@CLIENTS
def test_model_not_installed_is_model_not_found(call: Call, mock_daemon: DaemonProcess):
    body = {"model": "chronos-bolt-small", "horizon": 1, "series": SERIES}
    with pytest.raises(ModelNotFound, match="chronos-bolt-small") as caught:
        call(mock_daemon.base_url, 30, "forecast", body)
    assert caught.value.status_code == 404 and caught.value.exit_code == 4


@CLIENTS
@pytest.mark.parametrize("stream", [False, True])
def test_pull_without_license_acceptance_is_license_required(call: Call, stream: bool, mock_daemon: DaemonProcess):
    with pytest.raises(LicenseRequired, match=r"cc-by-nc-4\.0.*--accept-license") as caught:
        call(mock_daemon.base_url, 30, "pull", "moirai-2.0-R-small", stream=stream)
    assert caught.value.status_code == 409


@CLIENTS
def test_bad_input_is_invalid_request_with_the_daemon_message(call: Call, mock_daemon: DaemonProcess):
    body = {"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1.0], "timestamps": ["2025-01-01", "x"]}]}
    with pytest.raises(InvalidRequest, match="series 's': timestamps has 2 values but target has 1"):
        call(mock_daemon.base_url, 30, "forecast", body)


@CLIENTS
def test_nothing_listening_is_daemon_unreachable(call: Call):
    with pytest.raises(DaemonUnreachable, match=r"cannot reach the tollama daemon at http://127\.0\.0\.1:") as caught:
        call(f"http://127.0.0.1:{free_port()}", 5, "version")
    assert caught.value.exit_code == 3


@CLIENTS
def test_model_slower_than_the_client_timeout_is_forecast_timeout(call: Call, daemon: DaemonProcess):
    call(daemon.base_url, 30, "pull", "mock")
    body = {"model": "mock", "horizon": 1, "series": SERIES, "options": {"delay_seconds": 2}}
    with pytest.raises(ForecastTimeout, match=r"within 0\.5s; raise the client timeout") as caught:
        call(daemon.base_url, 0.5, "forecast", body)
    assert caught.value.exit_code == 6
