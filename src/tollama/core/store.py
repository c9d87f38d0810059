"""Installed models: one ``models/<name>/manifest.json`` each, written atomically."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pydantic import ValidationError

from tollama.core.errors import ModelNotFound, TollamaError
from tollama.core.files import atomic_write_text
from tollama.core.registry import check_model_name, get_spec
from tollama.core.schemas import ModelManifest

MANIFEST_NAME = "manifest.json"


class ModelStore:
    """Reads and writes manifests; a manifest exists only for a complete pull."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, name: str) -> Path:
        return self.root / check_model_name(name)

    def manifest_path(self, name: str) -> Path:
        return self._dir(name) / MANIFEST_NAME

    def is_installed(self, name: str) -> bool:
        return self.manifest_path(name).is_file()

    def get(self, name: str) -> ModelManifest:
        path = self.manifest_path(name)
        if not path.is_file():
            get_spec(name)  # a name no registry knows gets its own message: pulling it would fail too
            raise ModelNotFound(f"model '{name}' is not installed; run `tollama pull {name}`")
        return self._read(path)

    def list(self) -> list[ModelManifest]:
        if not self.root.is_dir():
            return []
        manifests = []
        for path in sorted(self.root.glob(f"*/{MANIFEST_NAME}")):
            manifests.append(self._read(path))
        return manifests

    def put(self, manifest: ModelManifest) -> None:
        path = self.manifest_path(manifest.name)
        atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n")

    def delete(self, name: str) -> None:
        if not self.is_installed(name):
            raise ModelNotFound(f"model '{name}' is not installed")
        folder = self._dir(name)
        # Remove the manifest first: a crash after it leaves a folder the store ignores.
        self.manifest_path(name).unlink()
        shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _read(path: Path) -> ModelManifest:
        try:
            return ModelManifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValidationError, UnicodeDecodeError) as exc:
            raise TollamaError(f"manifest {path} is corrupt; remove that folder and pull the model again") from exc
