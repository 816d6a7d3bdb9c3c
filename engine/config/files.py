"""The files a cluster config names (a price band CSV), read once and kept as bytes.

A config read from disk reads its files relative to the TOML file; the bytes read are kept
with the parsed cluster (``Cluster.files``), so the journal can hold the whole configuration
(:mod:`engine.config.document`) and rebuild it without the files, from those same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class ConfigFiles:
    """Reads a config's files by the name the config gives, from ``held`` if it has the
    name (a configuration rebuilt from a journal), else from ``base_dir``."""

    def __init__(self, base_dir: Path, held: Mapping[str, bytes] | None = None) -> None:
        self.base_dir = base_dir
        self.held = dict(held or {})
        self.read: dict[str, bytes] = {}  # name -> bytes, every file read so far

    def read_bytes(self, name: str) -> bytes:
        """The bytes of the file ``name``; ``OSError`` if it cannot be read."""
        data = self.held.get(name)
        if data is None:
            data = (self.base_dir / name).read_bytes()
        self.read[name] = data
        return data

    def path(self, name: str) -> Path:
        """Where ``name`` is read from (for error messages)."""
        return self.base_dir / name
