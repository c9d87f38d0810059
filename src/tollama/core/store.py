"""Installed models: one ``models/<name>/manifest.json`` each, written atomically."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

from pydantic import ValidationError

from tollama.core.errors import ModelNotFound
from tollama.core.files import atomic_write_text
from tollama.core.registry import check_model_name, get_spec
from tollama.core.schemas import Capabilities, ModelManifest, ModelSummary

MANIFEST_NAME = "manifest.json"


class ModelStore:
    """Reads and writes manifests; a manifest exists only for a complete pull."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Every forecast reads its model's manifest: keep each one parsed until its file changes
        # (writes replace the file, so inode, mtime or size differ).
        self._parsed: dict[Path, tuple[tuple[int, int, int], ModelManifest]] = {}

    def _dir(self, name: str) -> Path:
        return self.root / check_model_name(name)

    def manifest_path(self, name: str) -> Path:
        return self._dir(name) / MANIFEST_NAME

    def is_installed(self, name: str) -> bool:
        return self.manifest_path(name).is_file()

    def get(self, name: str) -> ModelManifest:
        path = self.manifest_path(name)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise BrokenManifest(path, IsADirectoryError(str(path)))
        if st is None or not stat.S_ISREG(st.st_mode):
            get_spec(name)  # a name no registry knows gets its own message: pulling it would fail too
            raise ModelNotFound(f"model '{name}' is not installed; run `tollama pull {name}`")
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        known = self._parsed.get(path)
        if known is None or known[0] != stamp:
            known = self._parsed[path] = (stamp, self._read(path))
        return known[1].model_copy()

    def list(self) -> list[ModelManifest]:
        """The readable manifests (broken ones are left out: see ``scan``)."""
        return self.scan()[0]

    def scan(self) -> tuple[list[ModelManifest], dict[str, str]]:
        """Readable manifests, and each broken one's model name with what is wrong with it.

        One corrupt manifest (or a folder where the manifest should be) must not hide the others.
        """
        manifests: list[ModelManifest] = []
        broken: dict[str, str] = {}
        if not self.root.is_dir():
            return manifests, broken
        for path in sorted(self.root.glob(f"*/{MANIFEST_NAME}")):
            try:
                manifests.append(self._read(path))
            except BrokenManifest as exc:
                broken[path.parent.name] = exc.reason
        return manifests, broken

    def put(self, manifest: ModelManifest) -> None:
        path = self.manifest_path(manifest.name)
        if path.is_dir() and not path.is_symlink():  # a broken install: a pull repairs it
            shutil.rmtree(path)
        atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n")

    def delete(self, name: str) -> None:
        path = self.manifest_path(name)
        if not (path.exists() or path.is_symlink()):
            raise ModelNotFound(f"model '{name}' is not installed")
        folder = self._dir(name)
        # Remove the manifest first: a crash after it leaves a folder the store ignores.
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _read(path: Path) -> ModelManifest:
        try:
            return ModelManifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValidationError, UnicodeDecodeError, OSError) as exc:
            raise BrokenManifest(path, exc) from exc


class BrokenManifest(ModelNotFound):
    """A manifest that cannot be read: the model is unusable until pulled again or removed."""

    def __init__(self, path: Path, cause: Exception) -> None:
        name = path.parent.name
        self.reason = "manifest is a folder" if path.is_dir() else f"manifest is unreadable ({type(cause).__name__})"
        super().__init__(
            f"model '{name}' is broken ({self.reason}: {path}); "
            f"repair it with `tollama pull {name}` or remove it with `tollama rm {name}`"
        )


def broken_summary(name: str, reason: str) -> ModelSummary:
    """How ``/api/tags`` lists a broken install: what the registry says of it, and the error."""
    try:
        spec = get_spec(name)
        family, license_id, capabilities = spec.family, spec.license.id, spec.capabilities
    except ModelNotFound:
        family, license_id, capabilities = "unknown", "unknown", Capabilities()
    error = f"broken ({reason}): run `tollama pull {name}` to repair or `tollama rm {name}`"
    return ModelSummary(
        name=name, family=family, size=0, modified_at="", license=license_id, capabilities=capabilities, error=error
    )
