"""Run a Hugging Face snapshot download for the daemon, per pull, with that pull's settings.

Isolation: ``huggingface_hub`` reads proxies and ``HF_HOME`` from the process (one shared httpx
client, constants fixed at import), so changing ``os.environ`` for one pull would leak into every
concurrent one. An online pull therefore runs in its own child process whose environment carries
its proxies and ``HF_HOME``; the token goes over the child's stdin, never into argv, env or a
file. An offline pull makes no request (``local_files_only``), so it runs in a daemon thread with
an explicit ``cache_dir`` and answers in milliseconds.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import os
import sys
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import orjson

from tollama.core.errors import TollamaError, error_from_code
from tollama.core.pull_settings import Setting
from tollama.core.redaction import redact_text
from tollama.core.schemas import ModelManifest, ModelSpec
from tollama.daemon.hf_download import DownloadJob, DownloadResult, download
from tollama.daemon.reporting import Report, Reporting

STOP_GRACE_SECONDS = 5.0
_LINE_LIMIT = 1 << 20
_PROXY_KEYS = {"https_proxy": "HTTPS_PROXY", "http_proxy": "HTTP_PROXY", "no_proxy": "NO_PROXY"}
_DROPPED_ENV = ("TOLLAMA_HF_TOKEN", "HF_TOKEN", "HF_HUB_OFFLINE", "TOLLAMA_OFFLINE")


def make_job(spec: ModelSpec, settings: dict[str, Setting]) -> DownloadJob:
    """The download a registry entry asks for, under the effective pull settings."""
    hf_home = settings["hf_home"]
    # A request or config.json names the cache explicitly; an inherited HF_HOME (or none) is left
    # to huggingface_hub, which also honours HF_HUB_CACHE.
    explicit = hf_home.value and hf_home.source in ("request", "config")
    return DownloadJob(
        model=spec.name,
        repo_id=str(spec.source.repo_id),
        revision=spec.source.revision or "main",
        allow_patterns=spec.source.allow_patterns,
        cache_dir=str(Path(hf_home.value).expanduser() / "hub") if explicit else None,
        token=settings["token"].value or None,
        offline=bool(settings["offline"].value),
        offline_source=settings["offline"].source,
    )


def child_env(settings: dict[str, Setting], environ: dict[str, str] | None = None) -> dict[str, str]:
    """The download child's environment: this pull's proxies and HF_HOME, no token, online."""
    env = dict(os.environ if environ is None else environ)
    for name in (*_DROPPED_ENV, *_PROXY_KEYS.values(), *(k.lower() for k in _PROXY_KEYS.values())):
        env.pop(name, None)
    for key, name in _PROXY_KEYS.items():
        value = settings[key].value
        if value:
            env[name] = env[name.lower()] = str(value)
    if settings["hf_home"].value:
        env["HF_HOME"] = str(Path(settings["hf_home"].value).expanduser())
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    return env


class SnapshotDownload:
    """One download: ``events()`` yields progress; ``result`` is set when it ends well."""

    def __init__(self, job: DownloadJob, env: dict[str, str]) -> None:
        self.job = job
        self.env = env
        self.result: DownloadResult | None = None

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        source = self._in_thread() if self.job.offline else self._in_child()
        async with contextlib.aclosing(source) as events:
            async for event in events:
                yield event

    async def _in_thread(self) -> AsyncIterator[dict[str, Any]]:
        loop = asyncio.get_running_loop()

        def in_thread(report: Report) -> Awaitable[DownloadResult]:
            def emit(event: dict[str, Any]) -> None:  # called on the download's thread
                loop.call_soon_threadsafe(report, event)

            return asyncio.to_thread(download, self.job, emit)

        work = Reporting(in_thread)
        async for event in work.lines():
            yield event
        self.result = work.result

    async def _in_child(self) -> AsyncIterator[dict[str, Any]]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tollama.daemon.hf_download",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            limit=_LINE_LIMIT,
        )
        assert proc.stdin and proc.stdout and proc.stderr
        stderr_tail: collections.deque[str] = collections.deque(maxlen=5)
        drain = asyncio.ensure_future(_collect(proc.stderr, stderr_tail))
        try:
            proc.stdin.write(self.job.model_dump_json().encode() + b"\n")
            await proc.stdin.drain()
            async for line in proc.stdout:
                message = orjson.loads(line)
                if "result" in message:
                    self.result = DownloadResult.model_validate(message["result"])
                    return
                if "error" in message:
                    raise error_from_code(str(message["error"]["code"]), str(message["error"]["message"]))
                yield message
            await proc.wait()
            tail = redact_text(" | ".join(stderr_tail) or "no output", (self.job.token,))
            raise TollamaError(f"the download of {self.job.repo_id} stopped (exit {proc.returncode}): {tail}")
        finally:
            await _stop(proc)
            drain.cancel()


async def _collect(stream: asyncio.StreamReader, tail: collections.deque[str]) -> None:
    async for line in stream:
        tail.append(line.decode("utf-8", "replace").strip()[:300])


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Close stdin (the child exits on EOF), then make sure it is gone."""
    if proc.stdin is not None:
        with contextlib.suppress(Exception):
            proc.stdin.close()
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(asyncio.shield(proc.wait()), STOP_GRACE_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def release_snapshot(manifest: ModelManifest, installed: list[ModelManifest]) -> bool:
    """Delete the model's cached revision (snapshot, ref, blobs no other revision uses).

    Kept when another installed model records the same snapshot. Blobs live per repo in the HF
    cache, so other repos (other models) are never touched. Returns whether anything went.
    """
    path = manifest.resolved.snapshot_path
    if manifest.source.type != "huggingface" or not path or not Path(path).is_dir():
        return False
    if any(other.resolved.snapshot_path == path for other in installed if other.name != manifest.name):
        return False
    from huggingface_hub import scan_cache_dir

    snapshot = Path(path)
    cache = scan_cache_dir(snapshot.parents[2])
    repos = frozenset(r for r in cache.repos if r.repo_path == snapshot.parents[1])
    if not repos:
        return False
    strategy = dataclasses.replace(cache, repos=repos).delete_revisions(snapshot.name)
    strategy.execute()
    return True
