"""The pure rules of derived models: definitions, graph checks, combining, choosing per series."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from tollama.core.derived import AutoSpec, EnsembleSpec, check_graph, choose, combine, users_of
from tollama.core.errors import InvalidRequest, ModelNotFound


def test_definitions_reject_bad_values() -> None:
    with pytest.raises(ValidationError, match="at least one model"):
        EnsembleSpec(members=[])
    with pytest.raises(ValidationError):
        EnsembleSpec(members=["a"], method="mode")
    with pytest.raises(ValidationError, match="unknown metric 'r2'"):
        AutoSpec(candidates=["a"], metric="r2")
    with pytest.raises(ValidationError):
        AutoSpec(candidates=["a"], windows=0)
    assert AutoSpec(candidates=["a", "b"]).windows == 1


def test_users_of_a_model_include_nested_derived_models_only() -> None:
    def model(name: str, members: list[str] | None = None, candidates: list[str] | None = None) -> SimpleNamespace:
        ensemble = EnsembleSpec(members=members) if members else None
        auto = AutoSpec(candidates=candidates) if candidates else None
        return SimpleNamespace(name=name, ensemble=ensemble, auto=auto)

    installed = [
        model("ets"),
        model("naive"),
        model("inner", members=["ets", "naive"]),
        model("outer", members=["inner", "fracast"]),
        model("pick", candidates=["naive"]),
        model("other", members=["fracast"]),
    ]
    assert users_of("ets", installed) == ["inner", "outer"]
    assert users_of("naive", installed) == ["inner", "outer", "pick"]
    assert users_of("inner", installed) == ["outer"]
    assert users_of("outer", installed) == []
    assert users_of("ets", []) == []


def test_graph_names_missing_models_and_cycles() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": [], "d": ["x"]}

    def lookup(name: str) -> list[str]:
        if name not in graph:
            raise ModelNotFound(name)
        return graph[name]

    check_graph("new", ["a", "c"], lookup)
    with pytest.raises(ModelNotFound, match="model 'x' used by 'd' is not installed"):
        check_graph("new", ["d"], lookup)
    with pytest.raises(InvalidRequest, match="c -> a -> b -> c"):
        check_graph("c", ["a"], lookup)  # overwriting c with a member that leads back to c
    with pytest.raises(InvalidRequest, match="new -> new"):
        check_graph("new", ["new"], lookup)


def test_combine_is_per_step_median_or_mean_with_ordered_quantiles() -> None:
    answers = [
        {"forecasts": [{"id": "s", "mean": [1.0, 2.0], "quantiles": {"0.1": [0.0, 5.0], "0.9": [2.0, 3.0]}}]},
        {"forecasts": [{"id": "s", "mean": [3.0, 4.0], "quantiles": {"0.1": [1.0, 5.0], "0.9": [4.0, 3.0]}}]},
        {"forecasts": [{"id": "s", "mean": [8.0, 0.0]}]},  # no quantiles: its mean stands for each
    ]
    (median,) = combine(answers, "median", ["0.1", "0.9"])
    assert median["mean"] == [3.0, 2.0]
    assert median["quantiles"] == {"0.1": [1.0, 3.0], "0.9": [4.0, 5.0]}  # step 2 crossed: ordered
    (mean,) = combine(answers, "mean", [])
    assert mean["mean"] == [4.0, 2.0] and "quantiles" not in mean


def test_choose_takes_the_lowest_finite_score_ties_to_the_first() -> None:
    scores = {"a": {"s1": 0.5, "s2": 1.0, "s3": math.nan}, "b": {"s1": 0.4, "s2": 1.0, "s3": 2.0}, "c": {}}
    chosen, warnings = choose(["a", "b", "c"], ["s1", "s2", "s3", "short"], scores)
    assert chosen == {"s1": "b", "s2": "a", "s3": "b", "short": "a"}
    assert len(warnings) == 1 and "'short'" in warnings[0] and "first candidate 'a'" in warnings[0]
