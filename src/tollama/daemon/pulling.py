"""The pull service: license gate, then a source-specific download, then the manifest.

The manifest is written last, atomically, so a pull that dies half-way leaves no installed
model. Builtin families (mock, stats) have nothing to download but stream the same shape.
Hugging Face pulls run once per model at a time (``PullJobs``): a second pull of the same model
joins the running download instead of starting another.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tollama.core.config import TollamaConfig, is_loopback_host
from tollama.core.errors import LicenseRequired, PermissionDenied, TollamaError
from tollama.core.license_policy import check_license_policy
from tollama.core.pull_settings import PULL_KEYS, Setting, resolve_pull_settings
from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest, ModelSpec, PullRequest, ResolvedSnapshot
from tollama.core.store import ModelStore
from tollama.daemon.derived import DerivedService, is_derived
from tollama.daemon.hf_pull import SnapshotDownload, child_env, make_job, release_snapshot
from tollama.daemon.package_pull import PackagePull
from tollama.daemon.pull_jobs import PullJobs
from tollama.daemon.runtimes.manager import StartRuntime
from tollama.daemon.settings import DaemonSettings


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class PullService:
    def __init__(
        self,
        store: ModelStore,
        settings: DaemonSettings,
        start_runtime: StartRuntime | None = None,
        package_pull: Callable[[], PackagePull] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.jobs = PullJobs()
        self._start_runtime = start_runtime
        self._package_pull = package_pull
        self.derived: DerivedService | None = None  # set by Services: ready-made derived models

    async def events(self, request: PullRequest) -> AsyncIterator[dict[str, Any]]:
        spec = get_spec(request.model)
        check_license_policy(spec, self.settings.config().license_policy, "pull")
        check_license(spec, request.accept_license)
        accepted_at = now_iso() if spec.license.needs_acceptance else None
        if self.derived is not None and is_derived(spec):
            source = self.derived.pull_events(spec, request)
        elif spec.source.type == "builtin":
            source = self._builtin(spec, accepted_at)
        elif spec.source.type == "huggingface" and spec.source.repo_id:
            settings = self.pull_settings(request)
            source = self.jobs.run(spec.name, lambda: self._huggingface(spec, settings, accepted_at))
        elif spec.source.type == "package" and spec.source.package and self._package_pull is not None:
            source = self.jobs.run(spec.name, lambda: self._package(spec, accepted_at))
        else:
            raise TollamaError(f"pulling '{spec.name}' from {spec.source.type} is not available in this build")
        async with contextlib.aclosing(source) as events:
            async for event in events:
                if event.get("done") and self._start_runtime:
                    self._start_runtime(spec.family)  # installed: build its runtime too, without waiting
                yield event

    async def pull(self, request: PullRequest) -> dict[str, Any]:
        final: dict[str, Any] = {}
        async for event in self.events(request):
            final = event
        return final

    def pull_settings(self, request: PullRequest) -> dict[str, Setting]:
        """request > environment > config.json > default, read afresh for every pull."""
        return resolve_pull_settings(request.model_dump(include=set(PULL_KEYS)), self.settings.config())

    async def _builtin(self, spec: ModelSpec, accepted_at: str | None) -> AsyncIterator[dict[str, Any]]:
        yield {"status": "pulling manifest", "done": False}
        manifest = ModelManifest(**spec.model_dump(), pulled_at=now_iso(), accepted_at=accepted_at)
        yield {"status": "verifying", "done": False}
        yield {"status": "writing manifest", "done": False}
        self.store.put(manifest)
        yield {"status": "success", "done": True}

    async def _huggingface(
        self, spec: ModelSpec, settings: dict[str, Setting], accepted_at: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        yield {"status": "pulling manifest", "done": False}
        pull = SnapshotDownload(make_job(spec, settings), child_env(settings))
        async with contextlib.aclosing(pull.events()) as events:
            async for event in events:
                yield {**event, "done": False}
        assert pull.result is not None
        yield {"status": "writing manifest", "done": False}
        manifest = ModelManifest(
            **spec.model_dump(),
            resolved=ResolvedSnapshot(commit_sha=pull.result.commit_sha, snapshot_path=pull.result.snapshot_path),
            size_bytes=pull.result.size_bytes,
            pulled_at=now_iso(),
            accepted_at=accepted_at,
        )
        self.store.put(manifest)
        yield {"status": "success", "done": True}

    async def _package(self, spec: ModelSpec, accepted_at: str | None) -> AsyncIterator[dict[str, Any]]:
        assert self._package_pull is not None
        yield {"status": "pulling manifest", "done": False}
        pull = self._package_pull()
        async with contextlib.aclosing(pull.events(spec)) as events:
            async for event in events:
                yield {**event, "done": False}
        assert pull.result is not None
        yield {"status": "writing manifest", "done": False}
        manifest = ModelManifest(
            **spec.model_dump(),
            resolved=pull.result.resolved,
            size_bytes=pull.result.size_bytes,
            pulled_at=now_iso(),
            accepted_at=accepted_at,
        )
        self.store.put(manifest)
        yield {"status": "success", "done": True}

    async def release_cache(self, manifest: ModelManifest) -> bool:
        """After ``rm``: drop the model's cached snapshot unless another installed model uses it."""
        return await asyncio.to_thread(release_snapshot, manifest, self.store.list())

    async def close(self) -> None:
        await self.jobs.close()


def check_license(spec: ModelSpec, accepted: bool) -> None:
    if spec.license.needs_acceptance and not accepted:
        raise LicenseRequired(
            f"model '{spec.name}' is licensed under {spec.license.id} and needs your acceptance; "
            f'pull again with `tollama pull {spec.name} --accept-license` (API: "accept_license": true)'
        )


MACHINE_SETTINGS = ("hf_home", "https_proxy", "http_proxy", "no_proxy")


def check_machine_settings(
    request: PullRequest, client_host: str, config: TollamaConfig | None = None, home: Path | None = None
) -> None:
    """A request may pick the daemon's cache folder or proxies only when the config allows it.

    They are paths and URLs on the daemon's machine: a web page or a remote client choosing
    them would be a way in. So: only clients on this machine, only with
    ``pull.allow_request_settings`` true, and ``hf_home`` only inside ``pull.allowed_roots``.
    """
    chosen = [key for key in MACHINE_SETTINGS if getattr(request, key) is not None]
    if not chosen:
        return
    if not is_loopback_host(client_host):
        raise PermissionDenied(
            f"{', '.join(chosen)} may only be set by clients on the daemon's machine; "
            "set them in the daemon's config instead (`tollama config set pull.<key> ...`)"
        )
    pull = (config or TollamaConfig()).pull
    if not pull.allow_request_settings:
        raise PermissionDenied(
            f"this daemon does not take {', '.join(chosen)} from requests; set its defaults with "
            "`tollama config set pull.<key> ...`, or allow requests to choose them with "
            "`tollama config set pull.allow_request_settings true`"
        )
    if request.hf_home is not None:
        roots = _allowed_roots(pull.allowed_roots, home)
        chosen_home = Path(request.hf_home).expanduser().resolve()
        if not any(chosen_home.is_relative_to(root) for root in roots):
            raise PermissionDenied(
                f"hf_home {request.hf_home} is outside the allowed roots ({', '.join(map(str, roots))}); "
                "add a root with `tollama config set pull.allowed_roots <folders>`"
            )


def _allowed_roots(configured: str | None, home: Path | None) -> list[Path]:
    if configured:
        names = [name.strip() for name in configured.split(",") if name.strip()]
    else:
        names = [str(home)] if home is not None else []
        names.append("~/.cache/huggingface")
    return [Path(name).expanduser().resolve() for name in names]
