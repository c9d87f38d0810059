"""The local hub's HTTP side: the Hub's URLs, headers, ranges and error codes (stdlib server)."""

from __future__ import annotations

import hashlib
import json
import re
import select
import socket
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tollama.testing.hub import HubError, HubRequest, LocalHub, Pause, RepoFile, Revision

_CHUNK = 256 * 1024


def handler_for(hub: LocalHub) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to ``hub`` (the stdlib server builds one handler per request)."""
    return type("HubHandler", (_Handler,), {"hub": hub})


class _Handler(BaseHTTPRequestHandler):
    """Routes the Hub's URLs; every answer carries a Content-Length (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    hub: LocalHub

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read hub.requests
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        status = 500
        try:
            if parts == ["api", "agent-harnesses"]:  # huggingface_hub's agent detection, once a day
                status = self._send_json({"standardEnvVars": [], "harnesses": {}})
            elif parts[:2] == ["api", "models"] and len(parts) >= 4:
                status = self._api(parts[2] + "/" + parts[3], parts[4:], parse_qs(url.query))
            elif len(parts) >= 5 and parts[2] == "resolve":
                status = self._resolve(parts[0] + "/" + parts[1], parts[3], "/".join(parts[4:]))
            else:
                raise HubError(404, None, f"no route for {url.path}")
        except HubError as exc:
            status = exc.status
            self._send_error(exc)
        except (BrokenPipeError, ConnectionResetError):
            status = 499
        finally:
            record = HubRequest(self.command, url.path, {k.lower(): v for k, v in self.headers.items()}, status)
            self.hub.requests.append(record)

    def _api(self, repo_id: str, rest: list[str], query: dict[str, list[str]]) -> int:
        self.hub.check_access(repo_id, self.headers.get("Authorization"))
        if not rest or rest[0] == "revision":
            revision = self.hub.resolve(repo_id, rest[1] if len(rest) > 1 else "main")
            gated = "manual" if self.hub.is_gated(repo_id) else False
            siblings = [{"rfilename": name} for name in revision.files]
            body = {"_id": revision.commit, "id": repo_id, "modelId": repo_id, "sha": revision.commit}
            body.update({"private": False, "gated": gated, "disabled": False, "siblings": siblings, "tags": []})
            return self._send_json(body)
        if rest[0] == "tree" and len(rest) >= 2:
            revision = self.hub.resolve(repo_id, rest[1])
            prefix = "/".join(rest[2:]).strip("/")
            recursive = query.get("recursive", ["false"])[0].lower() == "true"
            return self._send_json(_tree(revision, prefix, recursive))
        raise HubError(404, None, f"unknown api route {'/'.join(rest)}")

    def _resolve(self, repo_id: str, rev: str, path: str) -> int:
        self.hub.check_access(repo_id, self.headers.get("Authorization"))
        revision = self.hub.resolve(repo_id, rev)
        entry = revision.files.get(path)
        if entry is None:
            raise HubError(404, "EntryNotFound", f"{path} does not exist on {rev}")
        start, end = _byte_range(self.headers.get("Range"), entry.size)
        status = 206 if self.headers.get("Range") else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", entry.etag)
        self.send_header("X-Repo-Commit", revision.commit)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{entry.size}")
        self.end_headers()
        if self.command == "GET":
            self._send_body(repo_id, entry, start, end)
        return status

    def _send_body(self, repo_id: str, entry: RepoFile, start: int, end: int) -> None:
        pause = self.hub.take_pause(repo_id, entry.path)
        total, sent = end - start, 0
        with entry.file.open("rb") as handle:
            handle.seek(start)
            while sent < total:
                if pause is not None and sent >= pause.after_bytes:
                    self.wfile.flush()
                    if not self._hold(pause):
                        return
                    pause = None
                cap = total - sent if pause is None else pause.after_bytes - sent
                chunk = handle.read(min(_CHUNK, cap))
                self.wfile.write(chunk)
                sent += len(chunk)
        self.wfile.flush()

    def _hold(self, pause: Pause) -> bool:
        """Wait for release; False (and ``disconnected`` set) when the client went away first."""
        pause.reached.set()
        while not pause.released.wait(0.05):
            if _peer_closed(self.connection):
                pause.disconnected.set()
                self.close_connection = True
                return False
        return True

    def _send_json(self, body: Any) -> int:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(data)
        return 200

    def _send_error(self, exc: HubError) -> None:
        data = json.dumps({"error": exc.message}).encode()
        self.send_response(exc.status)
        self.send_header("Content-Type", "application/json")
        if exc.code:
            self.send_header("X-Error-Code", exc.code)
        self.send_header("X-Error-Message", exc.message)
        if exc.status == 416:
            self.send_header("Content-Range", exc.message)
        self.send_header("Content-Length", str(len(data) if self.command == "GET" else 0))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(data)


def _tree(revision: Revision, prefix: str, recursive: bool) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    folders: set[str] = set()
    for path, entry in revision.files.items():
        if prefix and not path.startswith(prefix + "/"):
            continue
        parents = (path[len(prefix) + 1 :] if prefix else path).split("/")[:-1]
        if recursive:
            folders.update("/".join(filter(None, [prefix, *parents[:depth]])) for depth in range(1, len(parents) + 1))
            entries.append(entry.tree_entry())
        elif parents:
            folders.add("/".join(filter(None, [prefix, parents[0]])))
        else:
            entries.append(entry.tree_entry())
    dirs = [{"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d} for d in folders]
    return sorted(dirs, key=lambda d: d["path"]) + entries


def _byte_range(header: str | None, size: int) -> tuple[int, int]:
    """``bytes=a-`` / ``bytes=a-b`` to a half-open span; 416 when it starts past the end."""
    if not header:
        return 0, size
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not match:
        raise HubError(416, None, f"bytes */{size}")
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last or 0), 0), size
    else:
        start, end = int(first), min(int(last) + 1, size) if last else size
    if start >= size or start >= end:
        raise HubError(416, None, f"bytes */{size}")
    return start, end


def _peer_closed(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
