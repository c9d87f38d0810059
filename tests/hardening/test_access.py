"""Who may talk to the daemon: API keys, the non-loopback refusal, Host rebinding, CORS."""

from __future__ import annotations

import json

import httpx
import pytest

from tollama.core.api_keys import key_digest
from tollama.core.errors import InvalidRequest
from tollama.daemon.auth import KeyRing, bearer_token, check_bind, is_allowed_host
from tollama.daemon.spawn import runner_env
from tollama.testing.daemon import DaemonProcess, free_port, run_cli

KEY = "tlm_test-key-0123456789abcdef"
WRONG = "tlm_wrong-key-fedcba9876543210"


def _client(daemon: DaemonProcess, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=daemon.base_url, timeout=30, trust_env=False, **kwargs)


def test_non_loopback_bind_without_a_key_refuses_to_start(tollama_home):
    port = free_port()
    with pytest.raises(RuntimeError) as refused:
        DaemonProcess(tollama_home, env={"TOLLAMA_HOST": f"0.0.0.0:{port}"}, port=port).start()
    assert "refusing to listen on 0.0.0.0" in str(refused.value) and "tollama key add" in str(refused.value)
    assert "Traceback" not in str(refused.value)
    served = run_cli("serve", env={"TOLLAMA_HOST": f"0.0.0.0:{port}"})
    assert served.returncode == 2 and "refusing to listen on 0.0.0.0" in served.stderr


def test_bind_check_and_header_parsing(tmp_path):
    no_keys = KeyRing([], tmp_path / "config.json")
    check_bind("127.0.0.1", no_keys)
    check_bind("::1", no_keys)
    check_bind("localhost", no_keys)
    with pytest.raises(InvalidRequest, match=r"refusing to listen on 192\.168\.1\.5"):
        check_bind("192.168.1.5", no_keys)
    check_bind("0.0.0.0", KeyRing([KEY], tmp_path / "config.json"))
    assert [bearer_token(h) for h in (f"Bearer {KEY}", f"bearer  {KEY} ", "Basic abc", "Bearer", None)] == [
        KEY,
        KEY,
        None,
        None,
        None,
    ]
    allowed = ["localhost", "localhost:11435", "127.0.0.1:1", "[::1]:11435", "LOCALHOST", None]
    refused = ["evil.example", "evil.example:11435", "127.0.0.1.nip.io", "[::1", "localhost.evil.example"]
    refused += ["evil.com@localhost", "evil.com@localhost:11435", "", " "]  # issue 15, point 10
    assert all(is_allowed_host(h) for h in allowed)
    assert not any(is_allowed_host(h) for h in refused)


def test_a_key_guards_every_route_but_version_and_health_and_is_never_echoed(tollama_home):
    with DaemonProcess(tollama_home, env={"TOLLAMA_API_KEYS": f"other-key-123456789,{KEY}"}) as daemon:
        with _client(daemon) as anonymous:
            assert anonymous.get("/api/version").status_code == 200
            assert anonymous.get("/v1/health").status_code == 200
            for method, path in [("GET", "/api/tags"), ("GET", "/api/ps"), ("GET", "/api/info"), ("GET", "/metrics")]:
                refused = anonymous.request(method, path)
                assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
            wrong = anonymous.get("/api/tags", headers={"Authorization": f"Bearer {WRONG}"})
            assert wrong.status_code == 401 and "TOLLAMA_API_KEY" in wrong.json()["error"]
            assert WRONG not in wrong.text
            forecast = anonymous.post("/api/forecast", json={"horizon": 1}, headers={"Authorization": WRONG})
            assert forecast.status_code == 401  # refused before the body is even read
        with _client(daemon, headers={"Authorization": f"Bearer {KEY}"}) as allowed:
            assert allowed.get("/api/tags").status_code == 200
            pulled = allowed.post("/api/pull", json={"model": "mock", "stream": False, "token": "hf_must_not_leak"})
            assert pulled.status_code == 200
            info = allowed.get("/api/info")
            assert info.status_code == 200 and KEY not in info.text and key_digest(KEY) not in info.text
            assert info.json()["env"]["TOLLAMA_API_KEYS_present"] is True
        env = daemon.cli_env()
        denied = run_cli("list", env={**env, "TOLLAMA_API_KEY": WRONG})
        assert denied.returncode == 5 and "API key" in denied.stderr
        assert WRONG not in denied.stderr + denied.stdout
        assert run_cli("list", env={**env, "TOLLAMA_API_KEY": KEY}).returncode == 0
        log = daemon.log()
    assert KEY not in log and WRONG not in log and key_digest(KEY) not in log and "hf_must_not_leak" not in log


def test_runners_do_not_inherit_the_api_keys(monkeypatch):
    monkeypatch.setenv("TOLLAMA_API_KEYS", KEY)
    monkeypatch.setenv("TOLLAMA_API_KEY", KEY)
    monkeypatch.setenv("TOLLAMA_HOME", "/tmp/kept")
    env = runner_env()
    assert "TOLLAMA_API_KEYS" not in env and "TOLLAMA_API_KEY" not in env and env["TOLLAMA_HOME"] == "/tmp/kept"


def test_key_add_prints_the_key_once_stores_a_digest_and_applies_without_restart(tollama_home):
    with DaemonProcess(tollama_home) as daemon, _client(daemon) as anonymous:
        assert anonymous.get("/api/tags").status_code == 200  # loopback, no key: open
        env = daemon.cli_env()
        added = run_cli("key", "add", "ci", env=env)
        key = added.stdout.strip()
        assert added.returncode == 0 and key.startswith("tlm_") and len(key) > 40
        stored = (tollama_home / "config.json").read_text()
        assert key not in stored and key_digest(key) in stored
        assert anonymous.get("/api/tags").status_code == 401
        assert anonymous.get("/api/tags", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        listed = run_cli("key", "list", "--json", env=env)
        rows = json.loads(listed.stdout)
        assert [r["name"] for r in rows] == ["ci"] and key not in listed.stdout and key_digest(key) not in listed.stdout
        info = anonymous.get("/api/info", headers={"Authorization": f"Bearer {key}"}).json()
        assert info["config"]["auth"] == {"keys_stored": 1}
        assert run_cli("key", "rm", "ci", env=env).returncode == 0
        assert anonymous.get("/api/tags").status_code == 200
        log = daemon.log()
    assert key not in log


def test_host_header_rebinding_is_refused_on_loopback(daemon):
    with _client(daemon) as http:
        port = daemon.port
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
            assert http.get("/api/tags", headers={"Host": host}).status_code == 200, host
        for host in (f"evil.example:{port}", "attacker.test", f"127.0.0.1.nip.io:{port}"):
            refused = http.get("/api/tags", headers={"Host": host})
            assert refused.status_code == 403 and "DNS-rebinding" in refused.json()["error"], host
            assert host not in refused.text
        assert http.get("/api/version", headers={"Host": "evil.example"}).status_code == 403


def test_cors_preflight_honours_tollama_origins(tollama_home):
    env = {"TOLLAMA_ORIGINS": "https://app.example,chrome-extension://*"}
    with DaemonProcess(tollama_home, env=env) as daemon, _client(daemon) as http:

        def preflight(origin: str) -> httpx.Response:
            headers = {
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            }
            return http.options("/api/forecast", headers=headers)

        for origin in ("https://app.example", "chrome-extension://abcdef", "http://localhost:5173"):
            allowed = preflight(origin)
            assert allowed.status_code == 200, origin
            assert allowed.headers["access-control-allow-origin"] == origin
            assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        refused = preflight("https://evil.example")
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        simple = http.get("/api/version", headers={"Origin": "https://app.example"})
        assert simple.headers["access-control-allow-origin"] == "https://app.example"
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
