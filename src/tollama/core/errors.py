"""One error tree for daemon, runners, client and CLI.

    TollamaError (500, exit 10)
    ├── InvalidRequest (400, exit 2)
    │   └── RequestTooLarge (413, exit 2)
    ├── Unauthorized (401, exit 5)
    ├── PermissionDenied (403, exit 5)
    ├── ModelNotFound (404, exit 4)
    ├── LicenseRequired (409, exit 5)
    ├── ServerBusy (503, exit 10)
    ├── RunnerUnavailable (503, exit 10)
    ├── ForecastTimeout (504, exit 6)
    ├── ClientDisconnected (499, daemon side only: logs and metrics)
    └── DaemonUnreachable (client side only, exit 3)

Each class carries its HTTP status and CLI exit code, so the mapping is written once. A runner
error frame names the class in its ``code``; the daemon re-raises that same class, and the
client parser rebuilds it from the status.
"""

from __future__ import annotations


class TollamaError(Exception):
    """Base of every error tollama raises on purpose; unknown ones become 500."""

    status_code: int = 500
    exit_code: int = 10

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    @property
    def code(self) -> str:
        return type(self).__name__


class InvalidRequest(TollamaError):
    status_code = 400
    exit_code = 2


class RequestTooLarge(InvalidRequest):
    status_code = 413


class UnsupportedMediaType(InvalidRequest):
    status_code = 415


class RequestTimeout(InvalidRequest):
    """The client stopped sending its request body."""

    status_code = 408


class Unauthorized(TollamaError):
    status_code = 401
    exit_code = 5


class PermissionDenied(TollamaError):
    status_code = 403
    exit_code = 5


class ModelNotFound(TollamaError):
    status_code = 404
    exit_code = 4


class LicenseRequired(TollamaError):
    status_code = 409
    exit_code = 5


class ServerBusy(TollamaError):
    status_code = 503


class RunnerUnavailable(TollamaError):
    """The runner died or could not start; ``request_started`` says whether it had begun our request.

    A request the runner never started is safe to send again to its replacement.
    """

    status_code = 503
    request_started: bool = True
    RETRY_AFTER_SECONDS = "5"  # a replacement runner starts on the next request

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers={"Retry-After": self.RETRY_AFTER_SECONDS, **(headers or {})})


class ForecastTimeout(TollamaError):
    status_code = 504
    exit_code = 6


class ClientDisconnected(TollamaError):
    """The client went away while its request waited in the queue; nothing was computed.

    Nobody reads the answer; 499 (nginx's "client closed request") marks it in logs and metrics.
    """

    status_code = 499


class DaemonUnreachable(TollamaError):
    """Raised by clients only: nothing answered at the base URL."""

    status_code = 0
    exit_code = 3


ERROR_CLASSES: dict[str, type[TollamaError]] = {
    cls.__name__: cls
    for cls in (
        TollamaError,
        InvalidRequest,
        RequestTooLarge,
        Unauthorized,
        PermissionDenied,
        ModelNotFound,
        LicenseRequired,
        ServerBusy,
        RunnerUnavailable,
        ForecastTimeout,
        ClientDisconnected,
        DaemonUnreachable,
    )
}

_BY_STATUS: dict[int, type[TollamaError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: PermissionDenied,
    404: ModelNotFound,
    409: LicenseRequired,
    413: RequestTooLarge,
    422: InvalidRequest,
    503: RunnerUnavailable,
    504: ForecastTimeout,
}


def error_from_code(code: str, message: str) -> TollamaError:
    """Rebuild the error a runner frame names; unknown codes become a plain 500."""
    return ERROR_CLASSES.get(code, TollamaError)(message)


def error_from_status(status_code: int, message: str) -> TollamaError:
    """Rebuild the error class a daemon status stands for (client side)."""
    return _BY_STATUS.get(status_code, TollamaError)(message)
