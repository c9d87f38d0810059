"""tollama: a local-first forecasting daemon and CLI for time-series foundation models.

``import tollama`` stays light: the clients (httpx) and the pandas helpers load on first use,
so the daemon and runner processes, which import this package too, never pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tollama.core.errors import (
    DaemonUnreachable,
    ForecastTimeout,
    InvalidRequest,
    LicenseRequired,
    ModelNotFound,
    PermissionDenied,
    RequestTooLarge,
    RunnerUnavailable,
    ServerBusy,
    TollamaError,
    Unauthorized,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tollama.client import AsyncClient, Client
    from tollama.client.dialects import response_to_sagemaker, sagemaker_to_request
    from tollama.client.frames import ForecastResult, frame_to_request, response_to_frame
    from tollama.core.schemas import ForecastRequest, ForecastResponse

_LAZY = {
    "AsyncClient": "tollama.client",
    "Client": "tollama.client",
    "ForecastRequest": "tollama.core.schemas",
    "ForecastResponse": "tollama.core.schemas",
    "ForecastResult": "tollama.client.frames",
    "frame_to_request": "tollama.client.frames",
    "response_to_frame": "tollama.client.frames",
    "response_to_sagemaker": "tollama.client.dialects",
    "sagemaker_to_request": "tollama.client.dialects",
}

__all__ = [
    "AsyncClient",
    "Client",
    "DaemonUnreachable",
    "ForecastRequest",
    "ForecastResponse",
    "ForecastResult",
    "ForecastTimeout",
    "InvalidRequest",
    "LicenseRequired",
    "ModelNotFound",
    "PermissionDenied",
    "RequestTooLarge",
    "RunnerUnavailable",
    "ServerBusy",
    "TollamaError",
    "Unauthorized",
    "__version__",
    "frame_to_request",
    "response_to_frame",
    "response_to_sagemaker",
    "sagemaker_to_request",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tollama' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
