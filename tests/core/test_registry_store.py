from __future__ import annotations

import pytest

from tollama.core.errors import InvalidRequest, ModelNotFound, TollamaError
from tollama.core.registry import check_model_name, get_spec, load_registry
from tollama.core.schemas import ModelManifest
from tollama.core.store import ModelStore

MOCK = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")

SPEC_MODELS = {
    "mock",
    "chronos2",
    "granite-ttm-r2",
    "timesfm-2.5-200m",
    "moirai-2.0-R-small",
    "sundial-base-128m",
    "toto-open-base-1.0",
}


def test_registry_holds_every_model_of_the_spec_with_sources_and_licenses():
    registry = load_registry()
    assert set(registry) >= SPEC_MODELS
    for name in SPEC_MODELS - {"mock"}:
        spec = registry[name]
        assert spec.source.type == "huggingface" and spec.source.repo_id and spec.source.revision
        assert spec.source.allow_patterns
    assert registry["moirai-2.0-R-small"].license.needs_acceptance
    assert registry["chronos2"].capabilities.future_covariates_categorical
    assert not registry["sundial-base-128m"].capabilities.past_covariates_numeric


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".hidden", "x" * 200, "a..b", "a b"])
def test_model_names_are_never_paths(name):
    with pytest.raises(InvalidRequest):
        check_model_name(name)


def test_unknown_model_is_a_404():
    with pytest.raises(ModelNotFound, match="not in the registry; `tollama list --available`"):
        get_spec("no-such-model")


@pytest.mark.parametrize(
    ("typed", "meant"), [("chronos3", "chronos2"), ("autoets", "auto-ets"), ("fracast0", "fracast-0")]
)
def test_a_near_miss_names_the_model_meant(typed, meant):
    with pytest.raises(ModelNotFound, match=f"'{typed}' is not in the registry; did you mean '{meant}'\\?"):
        get_spec(typed)


def test_store_writes_atomically_and_deletes(tmp_path):
    store = ModelStore(tmp_path)
    manifest = ModelManifest(**get_spec("mock").model_dump(), pulled_at="2025-01-01T00:00:00+00:00")
    store.put(manifest)
    assert store.get("mock") == manifest
    assert [p.name for p in (tmp_path / "mock").iterdir()] == ["manifest.json"]
    store.delete("mock")
    assert not store.is_installed("mock") and store.list() == []
    with pytest.raises(ModelNotFound, match="tollama pull mock"):
        store.get("mock")
    with pytest.raises(ModelNotFound, match="not in the registry"):
        store.get("no-such-model")


def test_corrupt_manifest_is_a_clear_error_naming_the_file(tmp_path):
    (tmp_path / "mock").mkdir()
    (tmp_path / "mock" / "manifest.json").write_text("{")
    with pytest.raises(TollamaError, match=r"model 'mock' is broken .*mock/manifest\.json.*tollama pull mock"):
        ModelStore(tmp_path).get("mock")


def test_a_broken_manifest_is_reported_for_that_model_only_and_pull_or_rm_repairs_it(tmp_path):
    """Issue 15, point 9: on main one corrupt manifest made `list` fail for every model."""
    store = ModelStore(tmp_path)
    store.put(MOCK)
    (tmp_path / "chronos2" / "manifest.json").mkdir(parents=True)  # a folder where the file should be
    (tmp_path / "sundial").mkdir()
    (tmp_path / "sundial" / "manifest.json").write_bytes(b"\xff{")
    good, broken = store.scan()
    assert [m.name for m in good] == ["mock"]
    assert broken == {"chronos2": "manifest is a folder", "sundial": "manifest is unreadable (UnicodeDecodeError)"}
    with pytest.raises(ModelNotFound, match="model 'chronos2' is broken"):
        store.get("chronos2")
    store.put(MOCK.model_copy(update={"name": "chronos2"}))  # a pull writes over the folder
    assert store.get("chronos2").name == "chronos2"
    store.delete("sundial")
    assert not (tmp_path / "sundial").exists() and store.scan()[1] == {}
