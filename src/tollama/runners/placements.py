"""A family's loaded models, each placed on a device in a dtype once and kept there.

Requests may ask for another ``options.device`` or ``options.dtype``; loading the snapshot again
for each combination (rather than moving one copy back and forth) keeps concurrent requests of
different placements from changing weights under each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import torch

from tollama.core.errors import ModelNotFound
from tollama.core.schemas import ModelManifest

Net = TypeVar("Net", bound=torch.nn.Module)


class Placements(Generic[Net]):
    """``load`` keeps a manifest and places it on the CPU; ``get`` places it where a request asks."""

    def __init__(self, family: str, load_net: Callable[[ModelManifest], Net]) -> None:
        self.family = family
        self._load_net = load_net
        self._manifests: dict[str, ModelManifest] = {}
        self._nets: dict[tuple[str, str, str], Net] = {}
        self._lock = threading.Lock()

    def manifest(self, name: str) -> ModelManifest:
        with self._lock:
            manifest = self._manifests.get(name)
        if manifest is None:
            raise ModelNotFound(f"model '{name}' is not loaded in the {self.family} runner")
        return manifest

    def load(self, manifest: ModelManifest) -> None:
        self.unload(manifest.name)  # a new pull of the same name must not reuse the old weights
        with self._lock:
            self._manifests[manifest.name] = manifest
        try:
            self.get(manifest.name, "cpu", "float32")
        except BaseException:
            self.unload(manifest.name)
            raise

    def unload(self, name: str) -> None:
        with self._lock:
            self._manifests.pop(name, None)
            for key in [k for k in self._nets if k[0] == name]:
                del self._nets[key]

    def get(self, name: str, device: str, dtype: str) -> Net:
        """The model on ``device`` in ``dtype``, loaded from its snapshot once per combination."""
        with self._lock:
            key = (name, device, dtype)
            if key not in self._nets:
                manifest = self._manifests.get(name)
                if manifest is None:
                    raise ModelNotFound(f"model '{name}' is not loaded in the {self.family} runner")
                self._nets[key] = self._load_net(manifest).to(device=device, dtype=getattr(torch, dtype)).eval()
            return self._nets[key]
