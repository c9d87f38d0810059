"""The adapter base: every family reports its library versions in one shape."""

from __future__ import annotations

import importlib.metadata

from tollama.runners.adapter import installed_versions
from tollama.runners.mock.adapter import MockAdapter
from tollama.runners.stats.adapter import StatsAdapter


def test_versions_of_installed_and_missing_distributions() -> None:
    versions = installed_versions(("pydantic", "no-such-distribution-here"))
    assert versions == {"pydantic": importlib.metadata.version("pydantic"), "no-such-distribution-here": None}


def test_describe_reports_the_familys_libraries() -> None:
    assert StatsAdapter().describe() == {"libraries": {"statsforecast": importlib.metadata.version("statsforecast")}}
    assert MockAdapter().describe() == {}
