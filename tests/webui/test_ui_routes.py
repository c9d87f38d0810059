"""The web page's routes over real HTTP: CSP, the browser redirect, file lookup, access, the CSV reader."""

from __future__ import annotations

import re

import httpx

from tollama.testing.daemon import DaemonProcess
from tollama.webui import STATIC_DIR


def test_page_and_files_carry_a_strict_csp(http):
    for path, kind in (("/ui", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css")):
        answer = http.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith(kind)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_shipped_html_has_no_inline_script_or_style():
    html = (STATIC_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere
    for script in STATIC_DIR.glob("*.js"):
        assert "innerHTML" not in script.read_text(), script.name


def test_browsers_opening_root_go_to_the_page(http):
    answer = http.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert answer.status_code == 307 and answer.headers["location"] == "/ui"
    assert http.get("/", headers={"Accept": "application/json"}).status_code != 307


def test_unknown_or_escaping_files_are_404(http):
    for path in ("/ui/nope.js", "/ui/../daemon/app.py", "/ui/%2e%2e/__init__.py"):
        answer = http.get(path)
        assert answer.status_code == 404, path
        assert "error" in answer.json()


def test_csv_reader_names_line_and_column(http):
    answer = http.post("/api/ui/csv", json={"csv": "ds,y\n2024-01-01,1\n2024-01-02,abc\n", "horizon": 2})
    assert answer.status_code == 400
    assert answer.json()["error"] == "line 3, column 'y': 'abc' is not a number"
    good = http.post("/api/ui/csv", json={"csv": "ds,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,4\n", "horizon": 2})
    assert good.status_code == 200
    series = good.json()["request"]["series"][0]
    assert series["id"] == "series" and series["freq"] == "D" and series["target"] == [1.0, 2.0, 4.0]


def test_page_is_public_but_its_api_calls_need_the_key(tollama_home):
    key = "ui-test-key-0123456789"
    with (
        DaemonProcess(tollama_home, env={"TOLLAMA_API_KEYS": key}) as daemon,
        httpx.Client(base_url=daemon.base_url, trust_env=False) as http,
    ):
        assert http.get("/ui").status_code == 200
        assert http.post("/api/ui/csv", json={"csv": "ds,y\n", "horizon": 1}).status_code == 401
        assert http.get("/ui", headers={"Host": "evil.example"}).status_code == 403
