"""API keys: made here, shown once, kept in ``config.json`` as SHA-256 digests only.

A key is 32 random bytes (``secrets``), so a plain SHA-256 is enough: there is no password to
brute-force, only a digest that must not give the key back. The daemon compares digests with
``hmac.compare_digest``; the key itself is never written anywhere by tollama.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from pathlib import Path

from tollama.core.config import ApiKeyRecord, load_config, save_config
from tollama.core.errors import InvalidRequest

KEY_PREFIX = "tlm_"
KEY_ID_LENGTH = 12
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def key_digest(key: str) -> str:
    """Hex SHA-256 of a key as the client sends it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_id(record: ApiKeyRecord) -> str:
    """A short, non-secret handle for a stored key (a prefix of its digest)."""
    return record.sha256[:KEY_ID_LENGTH]


def add_key(config_file: Path, name: str) -> tuple[str, ApiKeyRecord]:
    """Make a key, store its digest under ``name``, return the key (the only time it exists)."""
    if not name or set(name) - _NAME_CHARS or len(name) > 64:
        raise InvalidRequest(f"key name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
    config = load_config(config_file)
    if any(record.name == name for record in config.auth.keys):
        raise InvalidRequest(f"a key named '{name}' already exists; remove it with `tollama key rm {name}` first")
    key = new_key()
    record = ApiKeyRecord(name=name, sha256=key_digest(key), created_at=datetime.now(UTC).isoformat())
    config.auth.keys = [*config.auth.keys, record]
    save_config(config_file, config)
    return key, record


def remove_key(config_file: Path, name_or_id: str) -> ApiKeyRecord:
    """Forget one key, named by its name or its id; the daemon stops accepting it at once."""
    config = load_config(config_file)
    matches = [r for r in config.auth.keys if name_or_id in (r.name, key_id(r))]
    if not matches:
        raise InvalidRequest(f"no API key named '{name_or_id}'; `tollama key list` shows them")
    config.auth.keys = [r for r in config.auth.keys if r is not matches[0]]
    save_config(config_file, config)
    return matches[0]


def stored_digests(config_file: Path) -> list[str]:
    return [record.sha256 for record in load_config(config_file).auth.keys]
