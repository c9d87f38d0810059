"""A local Hugging Face-compatible hub for tests: ``with LocalHub(root) as hub: hub.endpoint``.

Serves ``<root>/<org>/<name>/`` as repo ``<org>/<name>`` at ``main`` and ``<root>/<org>/<name>@<rev>/``
at a named revision, answering exactly the endpoints ``huggingface_hub`` 2.4 calls for
``snapshot_download`` (revision info, tree, HEAD/GET resolve with Range), with the Hub's error
headers. A revision's commit sha is derived from its (path, content hash) pairs, so regenerated
fixtures get a new commit; a revision published under a 40-hex name keeps that name as its commit,
so registry pins can be served. Point the real client at it with ``HF_ENDPOINT=hub.endpoint``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote

COMMIT_PATTERN = re.compile(r"^[0-9a-f]{40}$")
LFS_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".npz", ".gguf", ".msgpack"})
LFS_MIN_SIZE = 10 * 1024 * 1024
FileSource = bytes | str | Path


class HubError(Exception):
    """An error answer: status, the Hub's ``X-Error-Code`` and a message."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class HubRequest:
    """One request the hub answered (tests assert on ranges, tokens and counts)."""

    method: str
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class Pause:
    """Hold a file's body after ``after_bytes`` until ``release()``; one-shot, the next GET only.

    ``reached`` is set once those bytes are sent; ``disconnected`` when the client went away
    while held (the downloading process died or was cancelled).
    """

    repo_id: str
    path: str
    after_bytes: int
    reached: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


@dataclass(frozen=True)
class RepoFile:
    path: str
    file: Path
    size: int
    sha256: str
    git_oid: str

    @property
    def is_lfs(self) -> bool:
        return self.file.suffix in LFS_SUFFIXES or self.size >= LFS_MIN_SIZE

    @property
    def etag(self) -> str:
        return f'"{self.sha256 if self.is_lfs else self.git_oid}"'

    def tree_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "oid": self.git_oid, "size": self.size, "path": self.path}
        if self.is_lfs:
            entry["lfs"] = {"oid": self.sha256, "size": self.size, "pointerSize": 134}
        return entry


@dataclass(frozen=True)
class Revision:
    repo_id: str
    commit: str
    files: dict[str, RepoFile]


class LocalHub:
    """The server plus ``publish``/``pause`` helpers; stops (and releases pauses) on exit."""

    def __init__(self, root: Path, tokens: Iterable[str] = ()) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.tokens = set(tokens)
        self.requests: list[HubRequest] = []
        self._gated: dict[str, set[str] | None] = {}
        self._pauses: list[Pause] = []
        self._hashes: dict[tuple[Path, int, int], tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> LocalHub:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        from tollama.testing.hub_http import handler_for

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-hub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        for pause in self._pauses:
            pause.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the hub is not started; use `with LocalHub(root) as hub:`")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- content ----------------------------------------------------------------------------

    def publish(
        self,
        repo_id: str,
        files: Mapping[str, FileSource] | Path,
        *,
        revision: str = "main",
        gated: bool = False,
        granted: Iterable[str] | None = None,
    ) -> str:
        """Serve ``files`` (name -> bytes/text/path, or a folder) as ``repo_id`` at ``revision``.

        A gated repo answers 401 without a known token and 403 to a token not in ``granted``
        (every known token when ``granted`` is None). Returns the revision's commit sha.
        """
        folder = self._revision_dir(repo_id, revision)
        if folder.exists():
            shutil.rmtree(folder)
        if isinstance(files, Path):
            shutil.copytree(files, folder)
        else:
            for name, content in files.items():
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    shutil.copyfile(content, target)
                else:
                    target.write_bytes(content.encode() if isinstance(content, str) else content)
        folder.mkdir(parents=True, exist_ok=True)
        if gated:
            self._gated[repo_id] = None if granted is None else set(granted)
        else:
            self._gated.pop(repo_id, None)
        return self.resolve(repo_id, revision).commit

    def pause(self, repo_id: str, path: str, after_bytes: int = 0) -> Pause:
        pause = Pause(repo_id, path, after_bytes)
        with self._lock:
            self._pauses.append(pause)
        return pause

    def client_env(self, hf_home: Path) -> dict[str, str]:
        """Variables that point a process's huggingface_hub at this hub and a private cache."""
        return {"HF_ENDPOINT": self.endpoint, "HF_HOME": str(hf_home), "HF_HUB_DISABLE_TELEMETRY": "1"}

    def commit_sha(self, repo_id: str, revision: str = "main") -> str:
        return self.resolve(repo_id, revision).commit

    def served(self, method: str, path_suffix: str) -> list[HubRequest]:
        """Requests with this method whose path ends with ``path_suffix``."""
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    # --- resolution -------------------------------------------------------------------------

    def resolve(self, repo_id: str, revision: str) -> Revision:
        folders = self._revision_dirs(repo_id)
        if not folders:
            raise HubError(404, "RepoNotFound", f"Repository {repo_id} not found")
        if revision in folders:
            return self._load(repo_id, revision, folders[revision])
        if COMMIT_PATTERN.match(revision):
            for name, folder in folders.items():
                loaded = self._load(repo_id, name, folder)
                if loaded.commit == revision:
                    return loaded
        raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")

    def is_gated(self, repo_id: str) -> bool:
        return repo_id in self._gated

    def check_access(self, repo_id: str, authorization: str | None) -> None:
        token = authorization.removeprefix("Bearer ").strip() if authorization else None
        if token and token not in self.tokens:
            raise HubError(401, None, "Invalid credentials in Authorization header")
        if repo_id not in self._gated:
            return
        if not token:
            raise HubError(401, "GatedRepo", f"Access to model {repo_id} is restricted. You must be authenticated.")
        granted = self._gated[repo_id]
        if granted is not None and token not in granted:
            raise HubError(403, "GatedRepo", f"Access to model {repo_id} is restricted and you are not in the list.")

    def take_pause(self, repo_id: str, path: str) -> Pause | None:
        with self._lock:
            for pause in self._pauses:
                if pause.repo_id == repo_id and pause.path == path and not pause.reached.is_set():
                    return pause
        return None

    def _revision_dir(self, repo_id: str, revision: str) -> Path:
        org, name = _split_repo(repo_id)
        suffix = "" if revision == "main" else "@" + quote(revision, safe="")
        return self.root / org / f"{name}{suffix}"

    def _revision_dirs(self, repo_id: str) -> dict[str, Path]:
        org, name = _split_repo(repo_id)
        parent = self.root / org
        if not parent.is_dir():
            return {}
        found: dict[str, Path] = {}
        for folder in parent.iterdir():
            if folder.is_dir() and folder.name == name:
                found["main"] = folder
            elif folder.is_dir() and folder.name.startswith(name + "@"):
                found[unquote(folder.name[len(name) + 1 :])] = folder
        return found

    def _load(self, repo_id: str, revision: str, folder: Path) -> Revision:
        files: dict[str, RepoFile] = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            sha256, git_oid = self._hash(path)
            files[rel] = RepoFile(rel, path, path.stat().st_size, sha256, git_oid)
        if COMMIT_PATTERN.match(revision):
            commit = revision
        else:
            digest = hashlib.sha1(repo_id.encode())
            for rel, entry in files.items():
                digest.update(f"\n{rel}\0{entry.sha256}".encode())
            commit = digest.hexdigest()
        return Revision(repo_id, commit, files)

    def _hash(self, path: Path) -> tuple[str, str]:
        stat = path.stat()
        key = (path, stat.st_size, stat.st_mtime_ns)
        cached = self._hashes.get(key)
        if cached is None:
            data = path.read_bytes()
            git = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            cached = (hashlib.sha256(data).hexdigest(), git)
            self._hashes[key] = cached
        return cached


def _split_repo(repo_id: str) -> tuple[str, str]:
    org, _, name = repo_id.partition("/")
    if not org or not name or "/" in name:
        raise ValueError(f"repo id {repo_id!r} is not <org>/<name>")
    return org, name
