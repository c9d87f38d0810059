"""``tollama serve --stop`` returns once the daemon stops answering, or says why it could not tell."""

from __future__ import annotations

import httpx
import pytest

from tollama.cli.stop_cmd import stop_daemon
from tollama.client import Client
from tollama.core.errors import ForecastTimeout


class StoppingDaemon:
    """Answers the shutdown, then ``answers_after`` more requests, then refuses connections."""

    def __init__(self, answers_after: int | None) -> None:
        self.answers_after = answers_after
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == "/api/shutdown":
            return httpx.Response(200, json={"status": "shutting down", "grace_seconds": 7.0})
        if self.answers_after is not None and len(self.paths) > self.answers_after + 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"version": "0"})


def test_waits_until_the_daemon_no_longer_answers(capsys: pytest.CaptureFixture[str]) -> None:
    daemon = StoppingDaemon(answers_after=3)
    with Client(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(daemon)) as client:
        stop_daemon(client)
    assert daemon.paths == ["/api/shutdown"] + ["/api/version"] * 4  # three answers, then refused
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "stopping the tollama daemon at http://127.0.0.1:9",
        "stopped; requests in flight, if any, finish within 7s",
    ]


def test_a_daemon_that_keeps_answering_is_a_timeout() -> None:
    daemon = StoppingDaemon(answers_after=None)
    transport = httpx.MockTransport(daemon)
    with (
        Client(base_url="http://127.0.0.1:9", transport=transport) as client,
        pytest.raises(ForecastTimeout, match=r"still answers after 0.3s.*--timeout"),
    ):
        stop_daemon(client, wait_seconds=0.3)
    assert daemon.paths.count("/api/version") >= 2  # it kept asking until the limit
