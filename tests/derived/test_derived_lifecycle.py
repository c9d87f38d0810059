"""Derived models are models: create, list, show, run, rm through the real CLI; nesting, cycles,
missing members and every bad create input through a real daemon."""

from __future__ import annotations

import json

import httpx
import pytest

from tollama.client import Client
from tollama.testing.daemon import DaemonProcess, run_cli

SERIES = [
    {
        "id": "s1",
        "freq": "D",
        "timestamps": [f"2025-01-{d:02d}" for d in range(1, 29)],
        "target": [float(d % 7 + d / 10) for d in range(28)],
    }
]


@pytest.fixture
def installed(http: httpx.Client) -> httpx.Client:
    for model in ("mock", "seasonal-naive", "auto-ets"):
        assert http.post("/api/pull", json={"model": model, "stream": False}).status_code == 200
    return http


def cli(daemon: DaemonProcess, *args: str):
    return run_cli(*args, "--base-url", daemon.base_url, env=daemon.cli_env())


def forecast(http: httpx.Client, model: str) -> httpx.Response:
    return http.post("/api/forecast", json={"model": model, "horizon": 3, "series": SERIES, "stream": False})


def test_create_list_show_run_rm_through_the_cli(installed: httpx.Client, daemon: DaemonProcess, tmp_path) -> None:
    done = cli(daemon, "create", "combo", "--ensemble", "mock,seasonal-naive", "--method", "mean")
    assert done.returncode == 0, done.stderr
    assert "success" in done.stderr
    listed = json.loads(cli(daemon, "list", "--json").stdout)["models"]
    assert {m["name"]: m["family"] for m in listed}["combo"] == "ensemble"
    shown = cli(daemon, "show", "combo")
    assert shown.returncode == 0 and "mock, seasonal-naive" in shown.stdout and "mean" in shown.stdout
    shown_json = json.loads(cli(daemon, "show", "combo", "--json").stdout)
    assert shown_json["ensemble"] == {"members": ["mock", "seasonal-naive"], "method": "mean"}
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"horizon": 3, "series": SERIES}))
    ran = cli(daemon, "run", "combo", "--input", str(request), "--json", "--no-stream", "--no-pull")
    assert ran.returncode == 0, ran.stderr
    mock, naive = (forecast(installed, m).json()["forecasts"][0]["mean"] for m in ("mock", "seasonal-naive"))
    assert json.loads(ran.stdout)["forecasts"][0]["mean"] == pytest.approx(
        [(a + b) / 2 for a, b in zip(mock, naive, strict=True)]
    )
    assert run_cli("config", "set", "default_model", "combo", env=daemon.cli_env()).returncode == 0
    by_default = installed.post("/api/forecast", json={"horizon": 3, "series": SERIES, "stream": False}).json()
    assert by_default["model"] == "combo" and by_default["forecasts"] == json.loads(ran.stdout)["forecasts"]
    again = cli(daemon, "create", "combo", "--ensemble", "mock")
    assert again.returncode == 2 and "already exists" in again.stderr and "--overwrite" in again.stderr
    assert cli(daemon, "create", "combo", "--ensemble", "mock", "--overwrite").returncode == 0
    removed = cli(daemon, "rm", "combo")
    assert removed.returncode == 0 and removed.stderr == ""  # nothing used it
    names = {m["name"] for m in json.loads(cli(daemon, "list", "--json").stdout)["models"]}
    assert "combo" not in names and {"mock", "seasonal-naive"} <= names  # members untouched
    auto = cli(daemon, "create", "pick", "--auto", "mock,seasonal-naive", "--windows", "2")
    assert auto.returncode == 0, auto.stderr
    assert json.loads(cli(daemon, "show", "pick", "--json").stdout)["auto"] == {
        "candidates": ["mock", "seasonal-naive"],
        "metric": "mase",
        "windows": 2,
    }
    member = cli(daemon, "rm", "mock")
    assert member.returncode == 0 and "deleted 'mock'" in member.stdout
    assert "warning: 'pick' uses 'mock' and cannot forecast" in member.stderr


def test_nesting_cycles_and_removed_members(installed: httpx.Client) -> None:
    def create(name: str, members: list[str], **extra) -> httpx.Response:
        body = {"model": name, "stream": False, "ensemble": {"members": members, "method": "mean"}, **extra}
        return installed.post("/api/create", json=body)

    client = Client(base_url=str(installed.base_url))  # the Python client creates like the API
    assert client.create("inner", ensemble={"members": ["mock", "seasonal-naive"], "method": "mean"}) == {
        "status": "success",
        "done": True,
    }
    assert create("outer", ["inner", "auto-ets"]).status_code == 200
    inner, ets, outer = (forecast(installed, m).json()["forecasts"][0]["mean"] for m in ("inner", "auto-ets", "outer"))
    assert outer == pytest.approx([(a + b) / 2 for a, b in zip(inner, ets, strict=True)])
    itself = create("selfish", ["mock", "selfish"])
    assert itself.status_code == 400 and "selfish -> selfish" in itself.json()["error"]
    cycle = create("inner", ["outer"], overwrite=True)
    assert cycle.status_code == 400 and "inner -> outer -> inner" in cycle.json()["error"]
    assert forecast(installed, "outer").status_code == 200  # the refused overwrite changed nothing
    removed = installed.request("DELETE", "/api/delete", json={"model": "seasonal-naive"})
    assert removed.status_code == 200  # removed as asked, but not silently: its users are named
    assert removed.json()["warnings"] == [
        "'inner', 'outer' use 'seasonal-naive' and cannot forecast until 'seasonal-naive' is installed again, "
        "or they are created again without it"
    ]
    assert (
        installed.request("DELETE", "/api/delete", json={"model": "auto-ets"})
        .json()["warnings"][0]
        .startswith("'outer' uses 'auto-ets'")
    )
    missing = forecast(installed, "outer")
    assert missing.status_code == 404 and "'seasonal-naive'" in missing.json()["error"]


BAD = [
    ({"ensemble": {"members": []}}, 400, "at least one model"),
    ({"ensemble": {"members": ["mock", "mock"]}}, 400, "listed twice"),
    ({"ensemble": {"members": ["mock", "auto-theta"]}}, 404, "'auto-theta'"),
    ({"ensemble": {"members": ["mock", "no-such-model"]}}, 404, "'no-such-model'"),
    ({"ensemble": {"members": ["mock"], "method": "mode"}}, 400, "method"),
    ({"auto": {"candidates": ["mock"], "metric": "r2"}}, 400, "unknown metric 'r2'"),
    ({"auto": {"candidates": ["mock"], "windows": 0}}, 400, "windows"),
    ({}, 400, 'needs "ensemble" or "auto"'),
    ({"ensemble": {"members": ["mock"]}, "auto": {"candidates": ["mock"]}}, 400, "not both"),
    ({"model": "../evil", "ensemble": {"members": ["mock"]}}, 400, "invalid model name"),
    ({"model": "mock", "ensemble": {"members": ["seasonal-naive"]}}, 400, "already exists"),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD)
def test_bad_create_inputs(installed: httpx.Client, body: dict, status: int, message: str) -> None:
    response = installed.post("/api/create", json={"model": "new", "stream": False, **body})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error and "\n" not in error
    assert "new" not in {m["name"] for m in installed.get("/api/tags").json()["models"]}
