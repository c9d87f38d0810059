"""How each family's runtime is installed: ordered pip steps, as data, in one place.

A step is the argument list of one ``pip install`` (or ``uv pip install``) run. ``TOLLAMA``
stands for tollama itself with the family's extra, installed from the same source the daemon
runs from (see ``source.py``). Every step runs under the recipe's ``pins`` as constraints, so a
later step can never swap in another torch (a bare ``torch`` requirement may drag a multi-GB
CUDA build). Adding a package to a family is a one-line change to its ``family_steps``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from tollama.core.errors import InvalidRequest

TOLLAMA = "@tollama"
TORCH_PIN = "torch==2.13.0"


@dataclass(frozen=True)
class Step:
    """One installer run: ``args`` are pip install arguments; ``label`` is what the client sees."""

    args: tuple[str, ...]
    label: str = ""

    @property
    def shown(self) -> str:
        return self.label or " ".join(a for a in self.args if not a.startswith("-"))


def step(*args: str, label: str = "") -> Step:
    return Step(tuple(args), label)


@dataclass(frozen=True)
class Recipe:
    """A family's runtime: its tollama extra, its steps and the pins that hold across them.

    ``auto``: bootstrap on first use (heavy families). Light families (``auto=False``) run in the
    daemon's own interpreter unless their runtime was installed explicitly.
    """

    family: str
    extra: str | None
    steps: tuple[Step, ...]
    pins: tuple[str, ...] = ()
    auto: bool = True
    extra_steps: tuple[Step, ...] = field(default=())

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return self.steps + self.extra_steps


def _light(family: str) -> Recipe:
    return Recipe(family, extra=None, steps=(step(TOLLAMA),), auto=False)


def _heavy(family: str, *family_steps: Step) -> Recipe:
    """torch first, alone, from its pinned build; then tollama with the extra; then the rest."""
    return Recipe(
        family,
        extra=f"runner_{family}",
        steps=(step(TORCH_PIN), step(TOLLAMA), *family_steps),
        pins=(TORCH_PIN,),
    )


# Granite TTM pins torch<2.12 (a plain install swaps in a CUDA torch): install it without its
# dependencies, then the ones it really needs (see the shared model-libraries notes).
_GRANITE_STEPS = (
    step("--no-deps", "granite-tsfm==0.3.11"),
    step(
        "transformers>=4.57.6",
        "pandas>=2.3.3",
        "numpy<3",
        "datasets",
        "deprecated",
        "scikit-learn<1.8",
        "urllib3>=1.26.19",
        "filelock>=3.20.3",
        "einops>=0.7",
        label="granite-tsfm's dependencies",
    ),
)

RECIPES: dict[str, Recipe] = {
    "mock": _light("mock"),
    "stats": _light("stats"),
    "torch": _heavy("torch", *_GRANITE_STEPS),
    "timesfm": _heavy("timesfm"),
    "uni2ts": _heavy("uni2ts"),
    "sundial": _heavy("sundial"),
    "toto": _heavy("toto"),
    "tirex": _heavy("tirex"),
    "fracast": _heavy("fracast"),
}


def with_extra_steps(recipes: dict[str, Recipe], extra: dict[str, list[list[str]]]) -> dict[str, Recipe]:
    """Recipes with ``TOLLAMA_RUNTIME_EXTRA_STEPS`` appended (tests, local fixes)."""
    out = dict(recipes)
    for family, steps in extra.items():
        base = out.get(family)
        if base is None:
            raise InvalidRequest(f"TOLLAMA_RUNTIME_EXTRA_STEPS names '{family}', which is not one of: {', '.join(out)}")
        out[family] = Recipe(
            base.family, base.extra, base.steps, base.pins, base.auto, tuple(step(*args) for args in steps)
        )
    return out


def render(recipe: Recipe, tollama_args: list[str]) -> list[list[str]]:
    """Each step's concrete pip arguments (``TOLLAMA`` replaced by the source)."""
    return [[part for arg in s.args for part in (tollama_args if arg == TOLLAMA else [arg])] for s in recipe.all_steps]


def requirements_hash(recipe: Recipe, tollama_args: list[str], extra_requirements: list[str] | None = None) -> str:
    """What the marker compares: any change to steps, pins, source or the extra's pins rebuilds."""
    payload: dict[str, object] = {"steps": render(recipe, tollama_args), "pins": list(recipe.pins)}
    if extra_requirements:
        payload["extra"] = extra_requirements
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
