"""``license_policy commercial``: non-commercial weights are neither pulled nor served."""

from __future__ import annotations

import httpx
import pytest

from tollama.core.registry import load_registry
from tollama.testing.daemon import DaemonProcess, run_cli
from tollama.testing.hub import LocalHub
from tollama.testing.pulls import publish_model, pull_events

pytestmark = pytest.mark.slow
MOIRAI = "moirai-2.0-R-small"
SERIES = [{"id": "s", "target": [1.0, 2.0, 3.0, 4.0, 5.0]}]


def test_every_registry_model_declares_a_licence_class():
    classes = {name: spec.license.category for name, spec in load_registry().items()}
    assert classes[MOIRAI] == "non-commercial"
    assert classes["mock"] == classes["auto-ets"] == classes["chronos2"] == "permissive"


def test_commercial_policy_refuses_to_pull_and_serve_non_commercial_weights(
    hub: LocalHub, hub_daemon: DaemonProcess
) -> None:
    env = hub_daemon.cli_env()
    publish_model(hub, MOIRAI)
    # Installed while the policy allowed it (and the licence was accepted).
    assert pull_events(hub_daemon.base_url, {"model": MOIRAI, "accept_license": True})[-1]["status"] == "success"
    assert run_cli("pull", "mock", env=env).returncode == 0

    assert run_cli("config", "set", "license_policy", "commercial", env=env).returncode == 0
    refused = httpx.post(hub_daemon.base_url + "/api/pull", json={"model": MOIRAI, "accept_license": True})
    assert refused.status_code == 409
    message = refused.json()["error"]
    assert "non-commercial" in message and "cc-by-nc-4.0" in message and "license_policy" in message

    served = httpx.post(
        hub_daemon.base_url + "/api/forecast",
        json={"model": MOIRAI, "horizon": 2, "series": SERIES, "stream": False},
    )
    assert served.status_code == 409 and "refusing to serve" in served.json()["error"]
    cli = run_cli(
        "run",
        MOIRAI,
        "--input",
        "-",
        "--no-pull",
        env=env,
        input_text='{"horizon": 2, "series": [{"id": "s", "target": [1, 2, 3, 4, 5]}]}',
    )
    assert cli.returncode == 5 and "non-commercial" in cli.stderr

    # Permissive weights are unaffected; `any` lifts the refusal.
    ok = httpx.post(
        hub_daemon.base_url + "/api/forecast", json={"model": "mock", "horizon": 2, "series": SERIES, "stream": False}
    )
    assert ok.status_code == 200
    assert run_cli("config", "set", "license_policy", "any", env=env).returncode == 0
    again = httpx.post(
        hub_daemon.base_url + "/api/pull", json={"model": MOIRAI, "accept_license": True, "stream": False}
    )
    assert again.status_code == 200


def test_policy_values_and_list_available_show_the_class(tollama_home):
    bad = run_cli("config", "set", "license_policy", "sometimes")
    assert bad.returncode == 2 and "license_policy" in bad.stderr
    listed = run_cli("list", "--available")
    assert listed.returncode == 0 and "CLASS" in listed.stdout
    row = next(line for line in listed.stdout.splitlines() if line.startswith(MOIRAI))
    assert "non-commercial" in row
