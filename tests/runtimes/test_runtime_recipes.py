"""Recipes as data: torch first and alone, pins on every step, extra steps, the marker hash."""

from __future__ import annotations

import pytest

from tollama.core.errors import InvalidRequest
from tollama.daemon.runtimes.recipes import RECIPES, TOLLAMA, TORCH_PIN, render, requirements_hash, with_extra_steps

HEAVY = ("torch", "timesfm", "uni2ts", "sundial", "toto")
SOURCE = ["-e", "/src/tollama[runner_torch]"]


@pytest.mark.parametrize("family", HEAVY)
def test_heavy_families_install_pinned_torch_alone_first_then_tollama_with_their_extra(family: str) -> None:
    recipe = RECIPES[family]
    assert recipe.auto
    assert recipe.extra == f"runner_{family}"
    assert recipe.steps[0].args == (TORCH_PIN,)
    assert recipe.steps[1].args == (TOLLAMA,)
    assert TORCH_PIN in recipe.pins


@pytest.mark.parametrize("family", ["mock", "stats"])
def test_light_families_install_base_tollama_and_do_not_bootstrap_on_first_use(family: str) -> None:
    recipe = RECIPES[family]
    assert not recipe.auto
    assert recipe.extra is None
    assert [s.args for s in recipe.steps] == [(TOLLAMA,)]


def test_torch_family_installs_granite_without_its_dependencies() -> None:
    steps = [s.args for s in RECIPES["torch"].steps]
    assert ("--no-deps", "granite-tsfm==0.3.11") in steps


def test_render_replaces_the_tollama_placeholder_with_the_source_arguments() -> None:
    rendered = render(RECIPES["torch"], SOURCE)
    assert rendered[0] == [TORCH_PIN]
    assert rendered[1] == SOURCE


def test_extra_steps_are_appended_and_change_the_requirements_hash() -> None:
    recipes = with_extra_steps(RECIPES, {"mock": [["pkg==1.0"], ["--no-deps", "other"]]})
    mock = recipes["mock"]
    assert render(mock, ["tollama"]) == [["tollama"], ["pkg==1.0"], ["--no-deps", "other"]]
    assert requirements_hash(mock, ["tollama"]) != requirements_hash(RECIPES["mock"], ["tollama"])
    assert recipes["torch"] is RECIPES["torch"]


def test_the_hash_depends_on_the_source() -> None:
    recipe = RECIPES["mock"]
    assert requirements_hash(recipe, ["-e", "/a"]) != requirements_hash(recipe, ["-e", "/b"])
    assert requirements_hash(recipe, ["-e", "/a"]) == requirements_hash(recipe, ["-e", "/a"])


def test_extra_steps_for_an_unknown_family_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="not one of"):
        with_extra_steps(RECIPES, {"tourch": [["pkg"]]})
