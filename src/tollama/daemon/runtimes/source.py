"""Where a runtime gets tollama from: the same source the daemon itself runs from.

An editable checkout is installed editable (a runtime then follows the code as it changes); a
local folder, archive or VCS install is installed from the URL pip recorded in
``direct_url.json`` (PEP 610); anything else is the same released version from the index.
"""

from __future__ import annotations

import importlib.metadata
import json
import tomllib
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from tollama import __version__

DISTRIBUTION = "tollama"


@lru_cache(maxsize=1)
def direct_url() -> dict | None:
    """The daemon's own ``direct_url.json``, or None when installed from an index."""
    try:
        text = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None


def tollama_requirement(extra: str | None, info: dict | None = None) -> list[str]:
    """Pip arguments that install this tollama (with ``extra``) into another environment."""
    info = direct_url() if info is None else info
    suffix = f"[{extra}]" if extra else ""
    url = str((info or {}).get("url") or "")
    if not url:
        return [f"{DISTRIBUTION}{suffix}=={__version__}"]
    if (info or {}).get("dir_info", {}).get("editable"):
        return ["-e", f"{local_path(url)}{suffix}"]
    vcs = (info or {}).get("vcs_info")
    if vcs:
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        url = f"{vcs['vcs']}+{url}" + (f"@{commit}" if commit else "")
    return [f"{DISTRIBUTION}{suffix} @ {url}"]


def extra_requirements(extra: str | None, info: dict | None = None) -> list[str]:
    """What tollama's ``extra`` installs, as the runtime will see it (part of the runtime's marker).

    An editable checkout's ``pyproject.toml`` is read as it is now: the daemon's own metadata was
    written when it was installed and misses a pin changed since. Otherwise the installed
    distribution's metadata says it.
    """
    if not extra:
        return []
    info = direct_url() if info is None else info
    if (info or {}).get("dir_info", {}).get("editable"):
        pyproject = Path(local_path(str(info["url"]))) / "pyproject.toml"  # type: ignore[index]
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
            return sorted(project.get("optional-dependencies", {}).get(extra, []))
        except (OSError, tomllib.TOMLDecodeError):
            pass
    try:
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    marker = f'extra == "{extra}"'
    return sorted(r.split(";")[0].strip() for r in requires if marker in r.replace("'", '"'))


def describe_source(info: dict | None = None) -> str:
    """One line for status output: ``editable /path``, ``tollama==x.y.z`` or the URL."""
    args = tollama_requirement(None, info)
    return f"editable {args[1]}" if args[0] == "-e" else args[0]


def local_path(url: str) -> str:
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url
