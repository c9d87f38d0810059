"""The daemon's input edge (issue 15): each request here broke ``main`` (a 200 with a wrong
answer, a 500, or a runner killed); each is now a 400/403/415 with a message naming the fault,
on a connection that stays open."""

from __future__ import annotations

import socket

import httpx
import orjson
import pytest

from tollama.core.errors import RunnerUnavailable
from tollama.daemon.spawn import runner_env

DAILY = ["2025-01-01", "2025-01-02", "2025-01-03"]


def _body(series: dict | None = None, **overrides) -> dict:
    base = {"id": "s1", "freq": "D", "timestamps": DAILY, "target": [1.0, 2.0, 3.0]}
    return {"model": "mock", "horizon": 2, "stream": False, "series": [{**base, **(series or {})}], **overrides}


@pytest.fixture
def pulled(http: httpx.Client) -> httpx.Client:
    assert http.post("/api/pull", json={"model": "mock", "stream": False}).status_code == 200
    return http


def test_missing_days_are_gaps_with_a_warning_never_a_shift(pulled):
    # Thu 2, Fri 3, then Tue 7: three days missing. On main this answered 200 with no warning.
    stamps = ["2025-01-02", "2025-01-03", "2025-01-07"]
    answer = pulled.post("/v1/forecast", json=_body({"timestamps": stamps, "target": [5.0, 6.0, 9.0]}))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert any("series 's1': 3 missing 'D' steps (the first at 2025-01-04)" in w for w in result["warnings"])
    assert result["forecasts"][0]["timestamps"] == ["2025-01-08", "2025-01-09"]  # after the real last day
    assert result["forecasts"][0]["mean"] == [9.0, 9.0]


@pytest.mark.parametrize(
    ("series", "horizon", "expected"),
    [
        ({"timestamps": ["2025-01-02", "2025-01-01", "2025-01-03"]}, 2, "timestamps[1] '2025-01-01' comes before"),
        ({"timestamps": ["2025-01-01", "2025-01-01", "2025-01-02"]}, 2, "timestamps[1] '2025-01-01' repeats"),
        ({"timestamps": ["2025-01-01", "not a date", "2025-01-03"]}, 2, "timestamps[1] 'not a date' cannot be parsed"),
        ({"timestamps": ["2025-01-01", "2025-01-02", "03/01/2025"]}, 2, "timestamps[2] '03/01/2025' cannot be parsed"),
        ({"timestamps": ["2025-01-01", "2025-01-02", "2300-01-01"]}, 2, "timestamps[2] '2300-01-01' cannot be parsed"),
        ({"timestamps": ["2262-04-08", "2262-04-09", "2262-04-10"]}, 5, "past the last date pandas can represent"),
        ({"freq": "-1D"}, 2, "freq '-1D' is not a positive step"),
        ({"freq": ""}, 2, "freq is empty"),
        ({"freq": "0D"}, 2, "freq '0D' is not a positive step"),
        ({"freq": "10000000D"}, 2, "freq '10000000D' is a step of more than 100 years"),
        (
            {"freq": "36500D", "timestamps": ["2200-01-01"], "target": [1.0]},
            3,
            "past the last date pandas can represent",
        ),
    ],
)
def test_bad_time_indexes_and_freqs_are_400s_naming_series_and_position(pulled, series, horizon, expected):
    for route in ("/api/forecast", "/v1/forecast"):
        response = pulled.post(route, json=_body(series, horizon=horizon))
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error.startswith("series 's1'") and expected in error, error
        assert response.headers.get("connection") != "close"


def test_deep_nesting_nan_and_huge_integers_are_400s_before_any_runner(pulled):
    def nested(depth: int) -> bytes:
        return b'{"a":' * depth + b"1" + b"}" * depth

    deep = [
        b'{"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1]}], "options": ' + nested(300) + b"}",
        b'{"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1]}], "parameters": {"mock": '
        + nested(100)
        + b"}}",
        b'{"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1]}], "options": ' + nested(5000) + b"}",
        b"[" * 100_000 + b"]" * 100_000,
    ]
    for body in deep:
        response = pulled.post("/v1/forecast", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text[:300]
        assert "nested" in response.json()["error"]
    odd = {
        b'{"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1, NaN]}]}': "NaN",
        b'{"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1]}], "options": {"x": Infinity}}': "Inf",
        b'{"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1]}], "options": {"x": 1'
        + b"0" * 30
        + b"}}": "64-bit",
    }
    for body, expected in odd.items():
        response = pulled.post("/v1/forecast", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and expected in response.json()["error"], response.text
    # The runner was never disturbed: a plain request is answered at once.
    assert pulled.post("/v1/forecast", json=_body()).status_code == 200


def test_model_names_with_a_trailing_newline_are_refused(pulled):
    response = pulled.post("/api/show", json={"model": "mock\n"})
    assert response.status_code == 400 and "invalid model name" in response.json()["error"]


def _raw_status(port: int, host_line: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /api/tags HTTP/1.1\r\n" + host_line + b"Connection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


def test_hosts_with_userinfo_or_empty_are_refused(daemon):
    assert _raw_status(daemon.port, b"Host: localhost\r\n") == 200
    assert _raw_status(daemon.port, b"Host: evil.com@localhost\r\n") == 403
    assert _raw_status(daemon.port, b"Host: \r\n") == 403


def test_a_cross_site_browser_post_cannot_install_a_model(http):
    # What a page on evil.example sends with fetch(..., {method: "POST", mode: "no-cors", body: "..."}).
    browser = {
        "Origin": "https://evil.example",
        "Content-Type": "text/plain;charset=UTF-8",
        "Sec-Fetch-Site": "cross-site",
    }
    refused = http.post("/api/pull", content=b'{"model": "mock", "stream": false}', headers=browser)
    assert refused.status_code == 403 and "origin" in refused.json()["error"]
    # The same body as a form from a page with no Origin (or an allowed one): not JSON, refused.
    for headers in ({"Content-Type": "application/x-www-form-urlencoded"}, {"Content-Type": "text/plain"}, {}):
        response = http.post("/api/pull", content=b'{"model": "mock", "stream": false}', headers=headers)
        assert response.status_code == 415, headers
    assert http.get("/api/tags").json()["models"] == []
    # A JSON request from a foreign origin (after a preflight CORS refuses) is refused too.
    foreign = http.post(
        "/api/pull", json={"model": "mock", "stream": False}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert http.get("/api/tags").json()["models"] == []
    local = http.post("/api/pull", json={"model": "mock", "stream": False}, headers={"Origin": "http://localhost:3000"})
    assert local.status_code == 200


def test_a_runner_death_503_says_when_to_retry(pulled):
    crashed = pulled.post("/v1/forecast", json=_body(options={"exit_code": 7}))
    assert crashed.status_code == 503 and crashed.headers["Retry-After"].isdigit()
    assert RunnerUnavailable("gone").headers == {"Retry-After": "5"}


def test_runners_do_not_inherit_the_hugging_face_token(monkeypatch):
    for name in ("HF_TOKEN", "TOLLAMA_HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.setenv(name, "hf_secret")
    env = runner_env()
    assert "hf_secret" not in orjson.dumps(env).decode()
    assert env["HF_HUB_DISABLE_IMPLICIT_TOKEN"] == "1"
