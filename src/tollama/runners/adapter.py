"""The one interface a model family implements: map the contract to its library.

An adapter owns no I/O: the shared loop (``runners.loop``) reads frames, validates them into
core schemas, calls these methods (possibly from several threads at once) and writes results.
"""

from __future__ import annotations

import abc
import importlib.metadata
from typing import ClassVar

from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast


class FamilyAdapter(abc.ABC):
    """Base of every family; subclasses set ``family`` and implement three methods."""

    family: ClassVar[str]
    # Dynamic batching (``runners.batching``), opt-in: set True when forecasting series together
    # gives each series exactly what it gets alone (no cross-series attention or pooling). The
    # loop then merges concurrent requests for one model with equal horizon, quantiles,
    # parameters, options and covariate names into one ``forecast`` call (series ids renamed
    # ``~k~i~`` inside it) and splits the answer back; ``forecast`` keeps its signature.
    batchable: ClassVar[bool] = False
    # The family's own cap on series per merged call (memory); TOLLAMA_BATCH_MAX_SERIES also applies.
    max_batch_series: ClassVar[int | None] = None
    # Distributions whose versions the ``hello`` handshake reports (``/api/info`` runners).
    libraries: ClassVar[tuple[str, ...]] = ()

    def describe(self) -> dict[str, object]:
        """Extra facts for the ``hello`` handshake: library versions; families add device, threads."""
        return {"libraries": installed_versions(self.libraries)} if self.libraries else {}

    def can_merge(self, model: str, request: ForecastRequest) -> bool:
        """Whether this request may share a call with others (asked only when ``batchable``).

        Override to keep a request alone whose series interact for that model or those
        parameters (cross-series learning, a shared scaler); it then runs as if unbatched.
        """
        return True

    @abc.abstractmethod
    def load(self, manifest: ModelManifest) -> None:
        """Make ``manifest.name`` ready to forecast; called once before its first forecast."""

    @abc.abstractmethod
    def unload(self, name: str) -> None:
        """Free the model's memory; unknown names are ignored."""

    @abc.abstractmethod
    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        """Forecast every series of an already validated, capability-fitted request."""


def installed_versions(distributions: tuple[str, ...]) -> dict[str, str | None]:
    """Each distribution's installed version, None where it is missing."""
    versions: dict[str, str | None] = {}
    for name in distributions:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions
