"""The create request and the manifest of a derived model, built from its parts' manifests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import AliasChoices, Field

from tollama.core.derived import AutoSpec, EnsembleSpec, check_graph, parts_of
from tollama.core.schemas import (
    MODEL_NAME_SCHEMA,
    Capabilities,
    LicenseInfo,
    Limits,
    ModelManifest,
    ModelSpec,
    _Wire,
)
from tollama.core.store import ModelStore

ManifestLookup = Callable[[str], ModelManifest]  # raises ModelNotFound for a model not installed


class CreateRequest(_Wire):
    """``POST /api/create``: a name and exactly one of ``ensemble`` / ``auto``."""

    model: str = Field(validation_alias=AliasChoices("model", "name"), json_schema_extra=MODEL_NAME_SCHEMA)
    ensemble: EnsembleSpec | None = None
    auto: AutoSpec | None = None
    overwrite: bool = False
    stream: bool = True


def member_lookup(store: ModelStore) -> ManifestLookup:
    return store.get


def check_parts(spec: ModelSpec, lookup: ManifestLookup) -> list[ModelManifest]:
    """The parts' manifests, once every model reachable from ``spec`` is installed and none cycles."""
    parts = parts_of(spec.ensemble, spec.auto)
    check_graph(spec.name, parts, lambda name: parts_of(lookup(name).ensemble, lookup(name).auto))
    return [lookup(p) for p in parts]


def derived_manifest(spec: ModelSpec, lookup: ManifestLookup) -> ModelManifest:
    """Check the whole graph (installed, acyclic), then describe the model by what it is made of.

    Capabilities are what the parts can do together: quantiles when any part gives them (the
    others repeat their mean), gaps only when every part takes them (one failing part fails the
    request), covariates when any part uses them (each part follows ``covariates_mode``). The
    horizon limit is the smallest of the parts'.
    """
    parts = parts_of(spec.ensemble, spec.auto)
    manifests = check_parts(spec, lookup)
    caps = Capabilities(
        **{
            field: any(getattr(m.capabilities, field) for m in manifests)
            for field in Capabilities.model_fields
            if field != "missing_values"
        },
        missing_values=all(m.capabilities.missing_values for m in manifests),
    )
    horizons = [m.limits.max_horizon for m in manifests if m.limits.max_horizon is not None]
    licenses = sorted({m.license.id for m in manifests})
    if spec.ensemble is not None:
        what = f"{spec.ensemble.method} of {', '.join(parts)}"
    else:
        assert spec.auto is not None
        what = f"per series the best by {spec.auto.metric} over {spec.auto.windows} window(s) of {', '.join(parts)}"
    return ModelManifest(
        **spec.model_dump(exclude={"capabilities", "limits", "license", "description"}),
        description=spec.description or what,
        capabilities=caps,
        limits=Limits(max_horizon=min(horizons) if horizons else None),
        license=LicenseInfo(id=" + ".join(licenses)),
        size_bytes=sum(m.size_bytes for m in manifests),
        pulled_at=datetime.now(UTC).isoformat(),
    )
