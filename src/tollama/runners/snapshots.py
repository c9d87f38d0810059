"""A pulled snapshot as a runner sees it: where it is, and what to say when its weights are wrong.

A checkpoint whose tensors do not match the architecture must fail the load with a message
naming the model, the file and the tensors at fault, never load with silently random weights.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tollama.core.errors import ModelNotFound, TollamaError
from tollama.core.schemas import ModelManifest

SHOWN_KEYS = 5


def snapshot_dir(manifest: ModelManifest) -> Path:
    """The absolute snapshot folder of a pulled model (libraries must never look it up on a hub)."""
    path = manifest.resolved.snapshot_path
    if not path or not Path(path).is_dir():
        raise ModelNotFound(
            f"model '{manifest.name}' has no snapshot on disk ({path or 'none recorded'}); "
            f"run `tollama pull {manifest.name}`"
        )
    return Path(path).resolve()


def _listed(keys: Iterable[str]) -> str:
    ordered = sorted(keys)
    more = f" and {len(ordered) - SHOWN_KEYS} more" if len(ordered) > SHOWN_KEYS else ""
    return ", ".join(ordered[:SHOWN_KEYS]) + more


def checkpoint_mismatch(
    model: str, weights: Path, missing: Iterable[str] = (), unexpected: Iterable[str] = (), detail: str = ""
) -> TollamaError:
    """The error of a corrupt or foreign checkpoint: which tensors, in which file, and the fix."""
    missing, unexpected = set(missing), set(unexpected)
    parts = []
    if missing:
        parts.append(f"missing tensors: {_listed(missing)}")
    if unexpected:
        parts.append(f"unexpected tensors: {_listed(unexpected)}")
    if detail:
        parts.append(detail)
    return TollamaError(
        f"model '{model}': checkpoint {weights} does not match the model's architecture ({'; '.join(parts)}); "
        f"pull it again with `tollama rm {model} && tollama pull {model}`"
    )


def load_failure(model: str, weights: Path, exc: BaseException) -> TollamaError:
    """A library's load error (a truncated file, a shape or strict-key mismatch) in one clear line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return checkpoint_mismatch(model, weights, detail=f"{type(exc).__name__}: {' '.join(lines[:2])[:400]}")
