"""Random-initialised checkpoints of each family, in the exact file layout of its Hugging Face repo.

Weights cannot be downloaded here, and speed does not depend on weight values, so tests and
benchmarks build models from the libraries' own config classes: ``tiny`` for tests, ``real``
(the published architecture size) for benchmarks. A family's module
(``tollama.testing.checkpoints.<family>``) runs inside that family's runtime, where its library
is installed, and provides:

- ``build(model, size, out)``: write the checkpoint of registry model ``model`` into ``out``;
- ``baseline(model, snapshot, request)``: the library called in-process on a loaded snapshot,
  mapped the way the runner maps it, returning ``{"forecasts": [{"id", "mean", "quantiles"}]}``,
  so tests can check that the daemon's answer equals the library's own.

Run them as ``python -m tollama.testing.checkpoints build|baseline ...`` with the runtime's python.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tollama.core.registry import get_spec

SIZES = ("tiny", "real")


def family_module(model: str) -> ModuleType:
    """The checkpoint module of ``model``'s family (imports the family's library)."""
    return importlib.import_module(f"tollama.testing.checkpoints.{get_spec(model).family}")
