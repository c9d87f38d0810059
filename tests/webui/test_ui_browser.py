"""The web page in a real browser (Debian's chromium driven by Playwright) against a real daemon.

Screenshots of every page land in ``.tollama-test/screenshots`` (gitignored) for people to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tollama.testing.daemon import DaemonProcess

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".tollama-test" / "screenshots"
PAGES = ("models", "loaded", "forecast", "evaluate", "system")
KEY = "ui-browser-key-0123456789"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    with DaemonProcess(tmp_path_factory.mktemp("ui-home")) as daemon:
        with httpx.Client(base_url=daemon.base_url, timeout=120, trust_env=False) as http:
            for model in ("mock", "auto-ets"):
                http.post("/api/pull", json={"model": model, "stream": False}).raise_for_status()
        yield daemon


class Page:
    """A browser tab that records console errors and uncaught exceptions."""

    def __init__(self, browser: object, base_url: str, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, base_url=base_url)
        self.tab = self.context.new_page()
        self.errors: list[str] = []
        self.tab.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.tab.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, page: str) -> None:
        self.tab.goto(f"/ui#{page}")
        self.tab.wait_for_selector(f'body[data-ready="{page}"]')

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def page(browser: object, served: DaemonProcess) -> Iterator[Page]:
    tab = Page(browser, served.base_url)
    yield tab
    tab.context.close()


def test_each_page_loads_without_console_errors(browser, served, page):
    for name in PAGES:
        page.open(name)
        assert page.tab.locator(f"#page-{name}").is_visible()
        assert page.tab.locator(".error:visible").count() == 0, name
        page.shot(name)
    assert page.tab.locator("#installed-table tbody tr").count() == 2  # mock and auto-ets
    assert page.errors == []
    phone = Page(browser, served.base_url, width=390)
    phone.open("forecast")
    phone.shot("forecast-phone")
    assert phone.errors == []
    phone.context.close()


def _api_answer(base_url: str, model: str, horizon: int) -> dict:
    csv_text = (Path(__file__).resolve().parents[2] / "src/tollama/webui/static/examples/airpassengers.csv").read_text()
    with httpx.Client(base_url=base_url, timeout=120, trust_env=False) as http:
        body = http.post("/api/ui/csv", json={"csv": csv_text, "horizon": horizon, "name": "airpassengers"}).json()
        request = {**body["request"], "model": model, "quantiles": [0.1, 0.5, 0.9], "stream": False}
        return http.post("/api/forecast", json=request).json()


@pytest.mark.parametrize("model", ["mock", "auto-ets"])
def test_forecast_chart_draws_the_apis_answer(served, page, model):
    page.open("forecast")
    page.tab.select_option("#fc-model", model)
    page.tab.select_option("#fc-example", "airpassengers.csv")
    page.tab.fill("#fc-horizon", "12")
    page.tab.click("#fc-run")
    line = page.tab.wait_for_selector("#fc-chart .forecast-line", state="attached")
    drawn = json.loads(line.get_attribute("data-values"))
    expected = _api_answer(served.base_url, model, 12)["forecasts"][0]
    assert drawn == pytest.approx(expected["mean"])
    dots = page.tab.locator("#fc-chart .forecast-points circle")
    assert dots.count() == 12
    assert float(dots.nth(11).get_attribute("data-value")) == pytest.approx(expected["mean"][11])
    assert page.tab.locator("#fc-chart polygon.band").count() == 1
    assert page.tab.locator("#fc-chart .history-line").get_attribute("points").count(",") == 144
    assert page.tab.locator("#fc-table tbody tr").count() == 12
    with page.tab.expect_download() as download:
        page.tab.click("#fc-download-csv")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "unique_id,ds,mean,q0.1,q0.5,q0.9" and len(lines) == 13
    page.shot(f"forecast-{model}")
    assert page.errors == []


def test_series_picker_switches_series(page):
    page.open("forecast")
    page.tab.select_option("#fc-model", "mock")
    page.tab.select_option("#fc-example", "daily_visits.csv")
    page.tab.click("#fc-run")
    page.tab.wait_for_selector("#fc-chart .forecast-line", state="attached")
    options = page.tab.locator("#fc-series option").all_text_contents()
    assert len(options) == 2
    page.tab.select_option("#fc-series", label=options[1])
    assert page.tab.locator("#fc-chart svg").get_attribute("data-series") == options[1]
    assert page.tab.locator("#fc-chart .forecast-points circle").count() == 14


def test_bad_csv_shows_the_daemons_error(page):
    page.open("forecast")
    page.tab.check("#fc-kind-paste")
    page.tab.fill("#fc-csv", "unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,abc\n")
    page.tab.click("#fc-run")
    error = page.tab.locator("#fc-error")
    error.wait_for(state="visible")
    assert error.text_content() == "line 3, column 'y': 'abc' is not a number"
    page.shot("forecast-bad-csv")
    assert page.tab.locator("#fc-result").is_hidden()


def test_pull_shows_progress_and_ends_installed(browser, tmp_path):
    with DaemonProcess(tmp_path / "home") as daemon:
        page = Page(browser, daemon.base_url)
        page.open("models")
        assert page.tab.locator("#installed-empty").is_visible()
        page.tab.evaluate(
            """() => { window.seen = []; new MutationObserver(() => window.seen.push(
                 document.getElementById('pull-text').textContent)).observe(
                 document.getElementById('pull-text'), {childList: true, characterData: true, subtree: true}); }"""
        )
        page.tab.fill("#pull-name", "seasonal-naive")
        page.tab.click("#pull-form button[type=submit]")
        page.tab.locator("#pull-text", has_text="seasonal-naive is installed").wait_for()
        seen = page.tab.evaluate("window.seen")
        assert seen[0] == "pulling seasonal-naive…" and len(seen) >= 3  # status lines shown as they came
        assert page.tab.locator("#pull-progress").get_attribute("value") == "1"
        assert "seasonal-naive" in page.tab.locator("#installed-table tbody").text_content()  # listed when it says so
        page.shot("models-after-pull")
        page.tab.once("dialog", lambda dialog: dialog.accept())
        page.tab.click("#installed-table button[aria-label='Remove seasonal-naive']")
        page.tab.locator("#installed-empty").wait_for(state="visible")
        assert page.errors == []
        page.context.close()


def test_removing_a_member_names_the_derived_models_that_used_it(browser, tmp_path):
    with DaemonProcess(tmp_path / "home") as daemon:
        with httpx.Client(base_url=daemon.base_url, timeout=120, trust_env=False) as http:
            assert http.post("/api/pull", json={"model": "mock", "stream": False}).status_code == 200
            combo = {"model": "combo", "ensemble": {"members": ["mock"]}, "stream": False}
            assert http.post("/api/create", json=combo).status_code == 200
        page = Page(browser, daemon.base_url)
        page.open("models")
        page.tab.once("dialog", lambda dialog: dialog.accept())
        page.tab.click("#installed-table button[aria-label='Remove mock']")
        warning = page.tab.locator("#models-warnings li")
        warning.wait_for()
        assert warning.text_content().startswith("'combo' uses 'mock' and cannot forecast until 'mock' is installed")
        assert "mock" not in page.tab.locator("#installed-table tbody").text_content().replace("combo", "")
        page.shot("models-removed-member")
        assert page.errors == []
        page.context.close()


def test_model_name_holding_html_is_shown_as_text(page):
    page.open("models")
    name = '<img src=x id=injected onerror="window.pwned=1">'
    page.tab.fill("#pull-name", name)
    page.tab.click("#pull-form button[type=submit]")
    error = page.tab.locator("#pull-error")
    error.wait_for(state="visible")
    assert name in error.text_content()
    assert page.tab.locator("#injected").count() == 0
    assert page.tab.evaluate("window.pwned === undefined")
    page.shot("models-html-name")


def test_api_key_is_asked_for_and_kept_out_of_urls(browser, tmp_path):
    with DaemonProcess(tmp_path / "home", env={"TOLLAMA_API_KEYS": KEY}) as daemon:
        page = Page(browser, daemon.base_url)
        page.tab.goto("/ui#models")
        page.tab.locator("#key-panel").wait_for(state="visible")
        assert "API key" in page.tab.locator("#key-reason").text_content()
        page.shot("api-key-prompt")
        page.tab.fill("#key-input", KEY)
        page.tab.click("#key-form button")
        page.tab.wait_for_selector('body[data-ready="models"]')
        page.tab.locator("#available-table tbody tr").first.wait_for()
        assert page.tab.locator("#key-panel").is_hidden()
        assert page.tab.locator("#models-error").is_hidden()
        assert page.tab.evaluate("sessionStorage.getItem('tollama.apiKey')") == KEY
        assert page.tab.evaluate("localStorage.length") == 0
        assert KEY not in page.tab.url
        page.open("system")
        assert page.tab.locator("#system-error").is_hidden()
        page.context.close()


def test_evaluation_shows_progress_then_the_leaderboard(served, page):
    page.open("evaluate")
    page.tab.check("#ev-models input[value='mock']")
    page.tab.check("#ev-models input[value='auto-ets']")
    page.tab.select_option("#ev-example", "airpassengers.csv")
    page.tab.fill("#ev-horizon", "12")
    page.tab.fill("#ev-windows", "2")
    page.tab.evaluate(
        """() => { window.seen = []; new MutationObserver(() => window.seen.push(
             document.getElementById('ev-text').textContent)).observe(
             document.getElementById('ev-text'), {childList: true, characterData: true, subtree: true}); }"""
    )
    page.tab.click("#ev-run")
    page.tab.locator("#ev-result").wait_for(state="visible")
    seen = page.tab.evaluate("window.seen")
    assert any("of 4)" in line for line in seen), seen  # 2 models x 2 windows
    rows = page.tab.locator("#ev-table tbody tr")
    assert rows.count() == 2
    assert {rows.nth(i).locator("td").nth(1).text_content() for i in range(2)} == {"mock", "auto-ets"}
    assert page.tab.locator("#ev-table thead th").all_text_contents()[2:5] == ["mase", "smape", "wql"]
    assert page.tab.locator("#ev-chart rect.bar").count() == 2
    page.shot("evaluate-leaderboard")
    assert page.errors == []


def test_loaded_model_counts_down_and_unloads(served, page):
    with httpx.Client(base_url=served.base_url, timeout=120, trust_env=False) as http:
        series = [{"id": "s", "target": [1.0, 2.0, 3.0, 4.0]}]
        http.post("/api/forecast", json={"model": "mock", "horizon": 2, "series": series, "stream": False})
        page.open("loaded")
        row = page.tab.locator("#loaded-table tbody tr", has_text="mock")
        assert "min" in row.locator("td[data-expires]").text_content()  # default keep-alive: 5 minutes
        page.shot("loaded-mock")
        row.get_by_role("button", name="Unload mock").click()
        row.wait_for(state="detached")
        assert "mock" not in [m["name"] for m in http.get("/api/ps").json()["models"]]
    assert page.errors == []
