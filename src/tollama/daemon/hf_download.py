"""Download one model snapshot with ``huggingface_hub``, reporting bytes per file.

Online pulls run this module as a child process (``python -m tollama.daemon.hf_download``): the
job arrives as one JSON line on stdin (the token travels there, never in argv, env or a file),
progress events and a last ``{"result"}`` or ``{"error"}`` line leave on stdout. The child's
environment carries that pull's proxies and ``HF_HOME``, because ``huggingface_hub`` reads them
from the process (one shared httpx client, constants read at import). Offline pulls make no
request at all, so the daemon runs ``download`` in a thread instead (well under a second).

Flow online: list the revision's files (``model_info`` + ``list_repo_tree``), keep those matching
``allow_patterns``, ``hf_hub_download`` each with a progress bar per file, then one
``snapshot_download`` of the same revision, which finds everything cached, records the tree and
ref for later offline pulls, and returns the snapshot folder ("verifying").
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel
from tqdm import tqdm

from tollama.core.errors import ModelNotFound, TollamaError
from tollama.core.protocol import error_frame
from tollama.daemon.hf_errors import offline_message, translate_hub_error

Emit = Callable[[dict[str, Any]], None]
PROGRESS_INTERVAL_SECONDS = 0.1  # at most ~10 progress events per second per file, plus the last


class DownloadJob(BaseModel):
    """What to fetch and where; ``model`` and ``offline_source`` only shape messages."""

    model: str
    repo_id: str
    revision: str
    allow_patterns: list[str] | None = None
    cache_dir: str | None = None
    token: str | None = None
    offline: bool = False
    offline_source: str = "default"


class DownloadResult(BaseModel):
    commit_sha: str
    snapshot_path: str
    size_bytes: int
    files: list[str]


class FileProgress:
    """Turns tqdm updates for one file into ``pulling <file>`` events, throttled."""

    def __init__(self, name: str, digest: str | None, total: int, emit: Emit) -> None:
        self.name, self.digest, self.total, self.emit = name, digest, total, emit
        self._last_sent = float("-inf")

    def report(self, completed: int, force: bool = False) -> None:
        """Send now if forced (first and last event), else at most every PROGRESS_INTERVAL_SECONDS."""
        now = time.monotonic()
        if not force:
            if now - self._last_sent < PROGRESS_INTERVAL_SECONDS:
                return
            self._last_sent = now
        event: dict[str, Any] = {"status": f"pulling {self.name}", "total": self.total, "completed": completed}
        if self.digest:
            event["digest"] = self.digest
        self.emit(event)

    def bar_class(self) -> type[tqdm]:
        progress = self

        class FileBar(_QuietBar):
            def update(self, n: float | None = 1) -> bool | None:
                shown = super().update(n)
                progress.report(min(int(self.n), progress.total))
                return shown

        return FileBar


class _QuietBar(tqdm):
    """A tqdm that draws nothing: the daemon streams progress as NDJSON instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("name", None)
        kwargs["file"] = _DEVNULL
        kwargs["disable"] = False
        super().__init__(*args, **kwargs)


_DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - one handle for every quiet bar of the process


def download(job: DownloadJob, emit: Emit) -> DownloadResult:
    """Fetch the snapshot (or find it in the cache when offline); errors become TollamaErrors."""
    from huggingface_hub import constants

    cache_dir = job.cache_dir or constants.HF_HUB_CACHE
    try:
        return _from_cache(job, cache_dir, emit) if job.offline else _from_hub(job, cache_dir, emit)
    except TollamaError:
        raise
    except Exception as exc:
        raise translate_hub_error(exc, job, cache_dir, constants.ENDPOINT) from exc


def _from_hub(job: DownloadJob, cache_dir: str, emit: Emit) -> DownloadResult:
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download, try_to_load_from_cache
    from huggingface_hub.hf_api import RepoFile
    from huggingface_hub.utils import filter_repo_objects

    api = HfApi(token=job.token)
    commit = api.model_info(job.repo_id, revision=job.revision).sha
    if not commit:
        raise TollamaError(f"the hub gave no commit for {job.repo_id}@{job.revision}")
    tree = [f for f in api.list_repo_tree(job.repo_id, revision=commit, recursive=True) if isinstance(f, RepoFile)]
    selected = list(filter_repo_objects(tree, allow_patterns=job.allow_patterns, key=lambda f: f.path))
    if not selected:
        raise ModelNotFound(f"{job.repo_id}@{job.revision} has no files matching {job.allow_patterns}")
    remove_orphaned_partials(Path(cache_dir), job.repo_id)
    for entry in selected:
        digest = f"sha256:{entry.lfs.sha256}" if entry.lfs else f"git:{entry.blob_id}"
        progress = FileProgress(entry.path, digest, entry.size, emit)
        cached = try_to_load_from_cache(job.repo_id, entry.path, cache_dir=cache_dir, revision=commit)
        if not isinstance(cached, str):
            progress.report(0, force=True)
            hf_hub_download(
                job.repo_id,
                entry.path,
                revision=commit,
                cache_dir=cache_dir,
                token=job.token,
                tqdm_class=progress.bar_class(),
            )
        progress.report(entry.size, force=True)
    emit({"status": "verifying"})
    folder = snapshot_download(
        job.repo_id,
        revision=job.revision,
        allow_patterns=job.allow_patterns,
        cache_dir=cache_dir,
        token=job.token,
        tqdm_class=_QuietBar,
    )
    if Path(folder).name != commit:
        raise TollamaError(f"{job.repo_id}@{job.revision} moved to a new commit during the pull; pull again")
    expected = {entry.path: entry.size for entry in selected}
    return _result(Path(folder), expected, job)


def _from_cache(job: DownloadJob, cache_dir: str, emit: Emit) -> DownloadResult:
    from huggingface_hub import snapshot_download

    folder = Path(
        snapshot_download(
            job.repo_id,
            revision=job.revision,
            allow_patterns=job.allow_patterns,
            cache_dir=cache_dir,
            local_files_only=True,
        )
    )
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    selected = [f for f in files if _allowed(f, job.allow_patterns)]
    for pattern in job.allow_patterns or ["*"]:
        if not any(fnmatch(f, pattern) for f in selected):
            raise ModelNotFound(offline_message(job, cache_dir, f"its cached snapshot lacks {pattern}"))
    for name in selected:
        path = folder / name
        size = path.stat().st_size
        FileProgress(name, _blob_digest(path), size, emit).report(size, force=True)
    emit({"status": "verifying"})
    return _result(folder, {name: (folder / name).stat().st_size for name in selected}, job)


def remove_orphaned_partials(cache_dir: Path, repo_id: str) -> list[Path]:
    """Delete partial downloads a killed pull left in the repo's ``blobs`` folder.

    huggingface_hub 2.4 writes each download to a process-unique ``<etag>.<id>.incomplete`` file
    and never resumes another process's file, so a killed pull leaves one behind for good. A
    file is an orphan when nobody holds its blob's lock (every live download holds it).
    """
    from filelock import FileLock, Timeout
    from huggingface_hub.file_download import repo_folder_name

    folder = repo_folder_name(repo_id=repo_id, repo_type="model")
    removed = []
    for partial in (cache_dir / folder / "blobs").glob("*.incomplete"):
        etag = partial.name.split(".", 1)[0]
        lock = FileLock(cache_dir / ".locks" / folder / f"{etag}.lock", timeout=0, mode=0o664)
        try:
            with lock:
                partial.unlink(missing_ok=True)
                removed.append(partial)
        except Timeout:
            continue  # a live download owns it
    return removed


def _result(folder: Path, expected: dict[str, int], job: DownloadJob) -> DownloadResult:
    """Check every file is in the snapshot at its listed size."""
    for name, size in expected.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            raise TollamaError(f"{name} of {job.repo_id} is missing or truncated in {folder}; pull again")
    return DownloadResult(
        commit_sha=folder.name,
        snapshot_path=str(folder),
        size_bytes=sum(expected.values()),
        files=sorted(expected),
    )


def _allowed(name: str, patterns: list[str] | None) -> bool:
    return patterns is None or any(fnmatch(name, pattern) for pattern in patterns)


def _blob_digest(path: Path) -> str | None:
    """The cache names blobs by ETag: a sha256 for LFS files, the git blob id otherwise."""
    blob = Path(os.path.realpath(path)).name
    if len(blob) == 64:
        return f"sha256:{blob}"
    return f"git:{blob}" if len(blob) == 40 else None


# --- child process ----------------------------------------------------------------------------


def _exit_when_parent_goes() -> None:
    """The daemon holds our stdin open; EOF means it died, so stop downloading at once."""
    sys.stdin.buffer.read()
    os._exit(3)


def main() -> None:
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # a library print() must not corrupt the event stream
    lock = threading.Lock()

    def emit(event: dict[str, Any]) -> None:
        with lock:
            out.write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))

    job = DownloadJob.model_validate_json(sys.stdin.buffer.readline())
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    try:
        result = download(job, emit)
    except BaseException as exc:
        emit({"error": error_frame("pull", exc)["error"]})
        os._exit(1)
    emit({"result": result.model_dump()})
    os._exit(0)


if __name__ == "__main__":
    main()
