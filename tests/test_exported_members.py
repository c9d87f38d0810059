"""The public API is ``tollama.__all__``: pinned here, every name importable, the import light."""

from __future__ import annotations

import subprocess
import sys

import tollama

EXPORTED = [
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


def test_all_is_pinned_and_every_name_resolves():
    assert tollama.__all__ == EXPORTED
    for name in tollama.__all__:
        member = getattr(tollama, name)
        assert name == "__version__" or member.__name__ == name
    assert set(tollama.__all__) <= set(dir(tollama))


def test_errors_are_the_core_classes():
    from tollama.core import errors

    assert tollama.ModelNotFound is errors.ModelNotFound
    assert issubclass(tollama.LicenseRequired, tollama.TollamaError)


def _loaded_after(statement: str) -> list[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(m for m in ('httpx', 'pandas', 'matplotlib') if m in sys.modules))"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ran.stdout.split()


def test_import_tollama_loads_neither_httpx_nor_pandas_nor_matplotlib():
    assert _loaded_after("import tollama") == []
    assert _loaded_after("from tollama import Client, AsyncClient, sagemaker_to_request") == ["httpx"]
