"""Slow clients (issue 15, point 8): unfinished headers and stalled bodies are cut off; raw sockets."""

from __future__ import annotations

import json
import socket

import pytest

from tollama.testing.daemon import DaemonProcess

ENV = {"TOLLAMA_HEADER_TIMEOUT_SECONDS": "1", "TOLLAMA_BODY_TIMEOUT_SECONDS": "1", "TOLLAMA_MAX_CONNECTIONS": "8"}


@pytest.fixture
def slow_daemon(tollama_home):
    with DaemonProcess(tollama_home, env=ENV) as daemon:
        yield daemon


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the daemon closes; a socket timeout (the daemon held on) fails the test."""
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def _read_response(sock: socket.socket) -> bytes:
    """One whole response on a kept-alive connection (headers, then Content-Length bytes)."""
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += sock.recv(65536)
    head, _, body = reply.partition(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_unfinished_headers_are_closed_after_the_header_timeout(slow_daemon):
    with socket.create_connection(("127.0.0.1", slow_daemon.port), timeout=15) as sock:
        sock.sendall(b"POST /api/pull HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n")  # never finished
        assert _read_all(sock) == b""  # closed, with no answer: on main this waited for ever


def test_headers_after_a_kept_alive_response_get_the_same_deadline(slow_daemon):
    with socket.create_connection(("127.0.0.1", slow_daemon.port), timeout=15) as sock:
        sock.sendall(b"GET /api/version HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /api/version HTTP/1.1\r\nHost: local")  # the next request stalls mid-header
        assert _read_all(sock) == b""


def test_a_stalled_body_gets_408(slow_daemon):
    with socket.create_connection(("127.0.0.1", slow_daemon.port), timeout=15) as sock:
        sock.sendall(
            b"POST /api/forecast HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"model": '
        )
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 408") and b"TOLLAMA_BODY_TIMEOUT_SECONDS" in reply


def test_connections_past_the_cap_get_503(slow_daemon):
    held = [
        socket.create_connection(("127.0.0.1", slow_daemon.port), timeout=15) for _ in range(7)
    ]  # with the next one, 8: the cap
    try:
        for sock in held:
            sock.sendall(b"GET /api/version HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert _read_response(sock).startswith(b"HTTP/1.1 200")  # each one is open and kept alive
        with socket.create_connection(("127.0.0.1", slow_daemon.port), timeout=15) as extra:
            extra.sendall(b"GET /api/version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            head, _, body = _read_all(extra).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503")
        assert b"retry-after: 1" in head.lower() and b"application/json" in head.lower()
        assert "TOLLAMA_MAX_CONNECTIONS" in json.loads(body)["error"]
        held[0].sendall(b"GET /api/version HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _read_response(held[0]).startswith(b"HTTP/1.1 200")  # those within the cap are served on
    finally:
        for sock in held:
            sock.close()
