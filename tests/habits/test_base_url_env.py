"""Where the CLI and the clients look for the daemon: flag > TOLLAMA_BASE_URL > TOLLAMA_HOST > default."""

from __future__ import annotations

import pytest

from tollama.client import AsyncClient, Client
from tollama.client._base import resolve_base_url
from tollama.core.config import host_to_url, parse_host
from tollama.core.errors import InvalidRequest


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:11435"),
        ("0.0.0.0:11500", "http://127.0.0.1:11500"),
        ("::", "http://[::1]:11435"),
        ("[::1]:5000", "http://[::1]:5000"),
        ("myhost", "http://myhost:11435"),
        (":9000", "http://127.0.0.1:9000"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://myhost:1234", "http://myhost:1234"),
        ("https://tollama.example", "https://tollama.example:443"),
        ("https://tollama.example:8443/", "https://tollama.example:8443"),
    ],
)
def test_tollama_host_forms_become_a_client_url(host: str, url: str) -> None:
    assert host_to_url(host) == url


def test_daemon_bind_reads_a_scheme_too() -> None:
    assert parse_host("http://0.0.0.0:11500") == ("0.0.0.0", 11500)
    with pytest.raises(InvalidRequest, match="TOLLAMA_HOST"):
        parse_host("host:port")


def test_precedence_flag_then_base_url_then_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOLLAMA_BASE_URL", raising=False)
    monkeypatch.delenv("TOLLAMA_HOST", raising=False)
    assert resolve_base_url(None) == "http://localhost:11435"
    monkeypatch.setenv("TOLLAMA_HOST", "0.0.0.0:11600")
    assert resolve_base_url(None) == "http://127.0.0.1:11600"
    monkeypatch.setenv("TOLLAMA_BASE_URL", "http://127.0.0.1:11700")
    assert resolve_base_url(None) == "http://127.0.0.1:11700"
    assert resolve_base_url("127.0.0.1:11800") == "http://127.0.0.1:11800"
    monkeypatch.setenv("TOLLAMA_BASE_URL", "")  # empty is unset, as for every TOLLAMA_* variable
    assert Client().base_url == AsyncClient().base_url == "http://127.0.0.1:11600"
