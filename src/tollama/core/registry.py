"""The packaged catalogue of pullable models (``registry.yaml``) and model-name rules."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from importlib import resources

import yaml

from tollama.core.errors import InvalidRequest, ModelNotFound
from tollama.core.schemas import ModelSpec

MODEL_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$", re.IGNORECASE)
MAX_MODEL_NAME_LENGTH = 128


def check_model_name(name: str) -> str:
    """A model name is a plain token, never a path; returns it unchanged."""
    if not name or len(name) > MAX_MODEL_NAME_LENGTH or not MODEL_NAME_PATTERN.fullmatch(name) or ".." in name:
        raise InvalidRequest(f"invalid model name {name!r}: use letters, digits, '.', '_' or '-' (no paths)")
    return name


@lru_cache(maxsize=1)
def load_registry() -> dict[str, ModelSpec]:
    """Parse the packaged registry once; keys are model names."""
    text = resources.files("tollama.core").joinpath("registry.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text)["models"]
    specs = [ModelSpec.model_validate(entry) for entry in entries]
    return {spec.name: spec for spec in specs}


def get_spec(name: str) -> ModelSpec:
    check_model_name(name)
    spec = load_registry().get(name)
    if spec is None:
        raise ModelNotFound(
            f"model '{name}' is not in the registry; {closest_name(name)}"
            "`tollama list --available` shows what can be pulled"
        )
    return spec


def closest_name(name: str) -> str:
    """``did you mean 'chronos2'? `` for a near miss of a registry name, else nothing."""
    close = difflib.get_close_matches(name, sorted(load_registry()), n=1)
    return f"did you mean '{close[0]}'? " if close else ""


def families() -> list[str]:
    return sorted({spec.family for spec in load_registry().values()})
