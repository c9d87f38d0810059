"""The pull service: license gate, then a source-specific download, then the manifest.

The manifest is written last, atomically, so a pull that dies half-way leaves no installed
model. Builtin families (mock, stats) have nothing to download but stream the same shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from tollama.core.errors import LicenseRequired, RunnerUnavailable, TollamaError
from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest, ModelSpec, PullRequest
from tollama.core.store import ModelStore
from tollama.daemon.runtimes.manager import PrepareRuntime
from tollama.daemon.settings import DaemonSettings


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class PullService:
    def __init__(
        self, store: ModelStore, settings: DaemonSettings, prepare_runtime: PrepareRuntime | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self._prepare_runtime = prepare_runtime

    async def events(self, request: PullRequest) -> AsyncIterator[dict[str, Any]]:
        spec = get_spec(request.model)
        check_license(spec, request.accept_license)
        accepted_at = now_iso() if spec.license.needs_acceptance else None
        yield {"status": "pulling manifest", "done": False}
        if spec.source.type == "builtin":
            manifest = ModelManifest(**spec.model_dump(), pulled_at=now_iso(), accepted_at=accepted_at)
        else:
            raise TollamaError(f"pulling '{spec.name}' from {spec.source.type} is not available in this build")
        yield {"status": "verifying", "done": False}
        yield {"status": "writing manifest", "done": False}
        self.store.put(manifest)
        async for event in self._runtime_events(spec):
            yield event
        yield {"status": "success", "done": True}

    async def _runtime_events(self, spec: ModelSpec) -> AsyncIterator[dict[str, Any]]:
        """A pull also readies the family's runtime, so the first forecast does not wait for it."""
        if self._prepare_runtime is None:
            return
        try:
            async for event in self._prepare_runtime(spec.family):
                yield event
        except RunnerUnavailable as exc:
            raise RunnerUnavailable(f"model '{spec.name}' was pulled, but {exc.message}") from None

    async def pull(self, request: PullRequest) -> dict[str, Any]:
        final: dict[str, Any] = {}
        async for event in self.events(request):
            final = event
        return final


def check_license(spec: ModelSpec, accepted: bool) -> None:
    if spec.license.needs_acceptance and not accepted:
        raise LicenseRequired(
            f"model '{spec.name}' is licensed under {spec.license.id} and needs your acceptance; "
            f'pull again with `tollama pull {spec.name} --accept-license` (API: "accept_license": true)'
        )
