"""The skill package itself: SKILL.md frontmatter and notes, examples, shell hygiene."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tollama.core.schemas import ForecastRequest

from .conftest import BIN, EXAMPLES, ROOT, SKILL_DIR

SCRIPTS = sorted(BIN.glob("*.sh"))
SHELL_FILES = [*SCRIPTS, *sorted((SKILL_DIR / "lib").glob("*.sh")), ROOT / "scripts" / "e2e_skills_test.sh"]


def frontmatter() -> dict[str, str]:
    lines = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return dict(line.split(": ", 1) for line in lines[1:end])


def test_frontmatter_has_single_line_json_metadata() -> None:
    fields = frontmatter()
    assert fields["name"] == SKILL_DIR.name == "tollama-forecast"
    assert len(fields["description"]) > 40
    requires = json.loads(fields["metadata"])["openclaw"]["requires"]
    assert requires == {"bins": ["bash"], "anyBins": ["tollama", "curl"]}


def test_skill_md_carries_policies_exit_codes_and_troubleshooting() -> None:
    text = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    for needle in (
        "`--base-url` > `TOLLAMA_BASE_URL` > `http://127.0.0.1:11435`",
        "`--timeout` > `TOLLAMA_FORECAST_TIMEOUT_SECONDS` > `300`",
        "`tollama: command not found`",
        '"pathPrepend"',
        "(`sandbox` vs `gateway`)",
        "tollama pull moirai-2.0-R-small --accept-license",
        "`POST /v1/forecast` only when",
    ):
        assert needle in text, needle
    for code in (0, 2, 3, 4, 5, 6, 10):
        assert f"\n| {code} |" in text, code


def test_examples_are_valid_requests() -> None:
    requests = {p.stem: ForecastRequest.model_validate_json(p.read_text()) for p in EXAMPLES.glob("*.json")}
    assert set(requests) >= {"simple_forecast", "covariates_forecast", "metrics_forecast", "auto_ets_forecast"}
    assert requests["auto_ets_forecast"].model == "auto-ets"  # builtin: runs with no network
    covariates = requests["covariates_forecast"].series[0]
    assert covariates.past_covariates and covariates.future_covariates
    metrics = requests["metrics_forecast"]
    assert metrics.series[0].actuals and metrics.parameters.metrics and metrics.parameters.metrics.names


def test_scripts_are_executable_bash() -> None:
    assert [p.name for p in SCRIPTS] == ["tollama-forecast.sh", "tollama-health.sh", "tollama-models.sh"]
    for script in SCRIPTS:
        assert os.access(script, os.X_OK), script
        assert script.read_text().startswith("#!/usr/bin/env bash\n"), script


def test_shell_files_are_shellcheck_clean() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install -y shellcheck)")
    done = subprocess.run([shellcheck, "-x", *map(str, SHELL_FILES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
