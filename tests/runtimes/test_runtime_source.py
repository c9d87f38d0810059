"""Runtimes install tollama from the source the daemon runs from (PEP 610 direct_url.json)."""

from __future__ import annotations

from tollama import __version__
from tollama.daemon.runtimes.builder import BuildPlan
from tollama.daemon.runtimes.recipes import RECIPES
from tollama.daemon.runtimes.source import describe_source, direct_url, extra_requirements, tollama_requirement


def test_editable_checkout_is_installed_editable_with_the_extra() -> None:
    info = {"url": "file:///home/me/tollama%20src", "dir_info": {"editable": True}}
    assert tollama_requirement("runner_torch", info) == ["-e", "/home/me/tollama src[runner_torch]"]
    assert describe_source(info) == "editable /home/me/tollama src"


def test_index_install_pins_the_same_released_version() -> None:
    assert tollama_requirement("runner_toto", {}) == [f"tollama[runner_toto]=={__version__}"]
    assert tollama_requirement(None, {}) == [f"tollama=={__version__}"]


def test_archive_and_vcs_installs_reuse_the_recorded_url() -> None:
    archive = {"url": "file:///wheels/tollama-0.1.0-py3-none-any.whl", "archive_info": {}}
    assert tollama_requirement("runner_torch", archive) == [
        "tollama[runner_torch] @ file:///wheels/tollama-0.1.0-py3-none-any.whl"
    ]
    vcs = {"url": "https://example.org/tollama.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}
    assert tollama_requirement(None, vcs) == ["tollama @ git+https://example.org/tollama.git@abc123"]


def test_this_checkout_is_detected_as_editable() -> None:
    info = direct_url()
    assert info is not None and info["dir_info"]["editable"]
    assert tollama_requirement(None)[0] == "-e"


def test_an_editable_checkouts_extra_is_read_from_its_pyproject_as_it_is_now(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "tollama"\n[project.optional-dependencies]\nrunner_toto = ["toto==2", "a==1"]\n'
    )
    info = {"url": tmp_path.as_uri(), "dir_info": {"editable": True}}
    assert extra_requirements("runner_toto", info) == ["a==1", "toto==2"]
    assert extra_requirements(None, info) == []


def test_a_changed_extra_pin_changes_what_the_marker_compares() -> None:
    recipe = RECIPES["toto"]
    args = tollama_requirement("runner_toto", {})
    before = BuildPlan(recipe, args, ["timecopilot-toto==0.1.7"])
    after = BuildPlan(recipe, args, ["timecopilot-toto==0.1.8"])
    assert before.requirements_hash != after.requirements_hash
    assert after.mismatch(before.marker(source="s", installer="uv", packages={}, size_bytes=0)) == "its recipe changed"
