"""A family whose library cannot be imported: the runner still starts and says what to install.

In single-env mode (``daemon.auto_bootstrap`` false) every family runs in the daemon's own
interpreter; a library that is not installed there must reach the client as a clear 503 naming
the extra to install, not as a crashed process and a traceback.
"""

from __future__ import annotations

from tollama.core.errors import RunnerUnavailable
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast
from tollama.runners.adapter import FamilyAdapter


def missing_library_message(family: str, error: ImportError) -> str:
    what = error.name or str(error)
    return (
        f"the {family} runner cannot import {what}: install it into the daemon's environment with "
        f'`pip install "tollama[runner_{family}]"`, or let tollama build the family\'s runtime '
        "(`tollama config set daemon.auto_bootstrap true`)"
    )


class MissingLibraryAdapter(FamilyAdapter):
    """Answers every load and forecast with ``RunnerUnavailable`` and the install hint."""

    family = "missing"

    def __init__(self, family: str, error: ImportError) -> None:
        self.family = family  # type: ignore[misc]
        self.missing = error.name or str(error)
        self.message = missing_library_message(family, error)

    def describe(self) -> dict[str, object]:
        return {"missing_library": self.missing}

    def load(self, manifest: ModelManifest) -> None:
        raise RunnerUnavailable(self.message)

    def unload(self, name: str) -> None:
        return None

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        raise RunnerUnavailable(self.message)
