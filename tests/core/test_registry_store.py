from __future__ import annotations

import pytest

from tollama.core.errors import InvalidRequest, ModelNotFound, TollamaError
from tollama.core.registry import check_model_name, get_spec, load_registry
from tollama.core.schemas import ModelManifest
from tollama.core.store import ModelStore

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
    with pytest.raises(ModelNotFound, match="not in the registry"):
        get_spec("no-such-model")


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
    with pytest.raises(TollamaError, match=r"manifest .*mock/manifest\.json is corrupt"):
        ModelStore(tmp_path).get("mock")
