"""The cluster's configuration over time, for the coordinator: ``GET /v1/cluster`` (the
configuration in force at an instant) and ``POST /v1/cluster/changes`` (put a new one in
force from an interval on).

A configuration is the cluster config's TOML document as a JSON (or msgpack) object, the
same tables and keys as the file (``engine/DESIGN.md``, "The cluster config (TOML)"), with
the files it names (a price band CSV) as text by name. The whole document is the
coordinator's: it names every member's connection points and limits; a member reads its own
through ``GET /v1/me``.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from engine.api.values import Instant, InstantIn, OrderId


class ClusterConfig(Struct, frozen=True):
    """The configuration in force at an instant, and since when (``effective_from``)."""

    effective_from: Instant
    config: dict[str, Any]  # the TOML document, keys sorted
    files: dict[str, str]  # the files it names, by name (UTF-8 text)


class ClusterChange(Struct, frozen=True, forbid_unknown_fields=True):
    """A new configuration (the whole document, validated as a config file is) and the
    interval start from which it is in force (default: the first that may still change:
    its auction gate open, no interval from it on cleared)."""

    config: dict[str, Any]
    files: dict[str, str] = {}
    effective_from: InstantIn | None = None


class ClusterChanged(Struct, frozen=True):
    """A change journaled (durable at ``seq``): what changed in plain words, and the orders
    it cancelled (their members are told on their streams)."""

    seq: int
    effective_from: Instant
    changes: list[str]
    cancelled: list[OrderId]
