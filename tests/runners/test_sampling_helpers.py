"""The helpers the sampling families share: gap filling, context cuts, options, sample summaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tollama.core.errors import InvalidRequest, TollamaError
from tollama.core.schemas import SeriesInput
from tollama.runners.sampling import bool_option, int_option, seed_option, summarize_samples
from tollama.runners.series_context import context_values, fill_gaps, past_covariate_matrix
from tollama.runners.snapshots import checkpoint_mismatch


def test_gaps_are_interpolated_and_the_edges_take_the_nearest_value() -> None:
    assert fill_gaps([None, 2.0, None, 4.0, None]).tolist() == [2.0, 2.0, 3.0, 4.0, 4.0]


def test_context_is_cut_to_the_most_recent_values_with_warnings() -> None:
    series = SeriesInput(id="s", target=[1.0, None, 3.0, 4.0, 5.0], past_covariates={"x": [1, 2, 3, 4, 5]})
    values, warnings = context_values(series, max_context=3)
    assert values.tolist() == [3.0, 4.0, 5.0]
    assert len(warnings) == 2 and "last 3 of 5" in warnings[1] and "1 missing" in warnings[0]
    assert past_covariate_matrix(series, ["x"], 3).tolist() == [[3.0, 4.0, 5.0]]
    assert past_covariate_matrix(series, [], 3).shape == (0, 3)


@pytest.mark.parametrize("value", [0, 11, "3", True, 2.0])
def test_integer_options_are_bounded_and_named(value: object) -> None:
    with pytest.raises(InvalidRequest, match=r"options\.num_samples"):
        int_option({"num_samples": value}, "num_samples", 5, 1, 10)


def test_option_defaults() -> None:
    assert int_option({}, "num_samples", 5, 1, 10) == 5
    assert seed_option({}) == 0 and seed_option({"seed": 7}) == 7
    assert bool_option({}, "use_kv_cache", True) is True
    with pytest.raises(InvalidRequest, match=r"options\.use_kv_cache"):
        bool_option({"use_kv_cache": 1}, "use_kv_cache", True)


def test_samples_become_mean_and_quantiles() -> None:
    samples = np.arange(12, dtype=float).reshape(4, 3)  # 4 samples, horizon 3
    out = summarize_samples("s", samples, [0.5])
    assert out.mean == [4.5, 5.5, 6.5] and out.quantiles == {"0.5": [4.5, 5.5, 6.5]}
    assert summarize_samples("s", samples, []).quantiles is None


def test_a_mismatch_names_the_tensors_and_the_fix() -> None:
    missing = [f"k{i}" for i in range(7)]
    error = checkpoint_mismatch("m", Path("/x/model.safetensors"), missing=missing, unexpected=["z"])
    assert isinstance(error, TollamaError) and error.status_code == 500
    assert "k0, k1, k2, k3, k4 and 2 more" in error.message and "unexpected tensors: z" in error.message
    assert "tollama rm m && tollama pull m" in error.message
