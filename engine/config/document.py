"""A cluster's configuration as a document a journal can hold, and changes in plain words.

The document is the TOML document the cluster was read from, with keys sorted at every
level (so the same configuration always encodes to the same bytes), and beside it the bytes
of the files it names (a price band CSV, :mod:`engine.config.files`). It is built generically:
whatever tables and keys the config format has, they ride along, and the same parser and
validator that reads a TOML file rebuilds the :class:`~engine.config.cluster.Cluster` from it
(:func:`cluster_of`). TOML dates and times are not kept (the config has none); a config with
one is refused when it is journaled.

:func:`differences` says what changes from one document to another, one plain sentence each:
``member "dom-4" joins (role member, connection points "PL-9")``, ``connection point "PL-2"
moves from "dom-1" to "dom-2"``, ``connection point "PL-2": max_export_kw "10" → "12"``.
:func:`fixed_changes` names what can never change in the life of a cluster (:data:`FIXED`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.config.cluster import Cluster, cluster_from_document
from engine.config.toml_table import show

#: What a cluster keeps for its whole life: its events count intervals of this length on
#: this timetable, in ticks of this size; another value would change what recorded events mean.
FIXED = (
    "id",
    "timezone",
    "interval_minutes",
    "gate_closure_minutes",
    "horizon_intervals",
    "continuous_minutes",
    "tick_pln_mwh",
)


class DocumentError(ValueError):
    """A configuration that cannot be kept in a journal (a TOML date, a bad type)."""


def canonical(value: Any, where: str = "the config") -> Any:
    """``value`` with every table's keys sorted and arrays as lists; raises
    :class:`DocumentError` for anything but tables, arrays, strings, ints, floats, bools."""
    if isinstance(value, dict):
        return {str(k): canonical(value[k], f"{where}.{k}") for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [canonical(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str | bool | int | float):
        return value
    raise DocumentError(
        f"{where}: a {type(value).__name__} cannot be kept in the journal; write it as a string"
    )


def document_of(cluster: Cluster, checked: bool = True) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The canonical document of ``cluster`` and the files it names (sorted by name);
    ``checked``: raise :class:`DocumentError` unless the document rebuilds ``cluster`` (what
    is journaled must; a document only compared with another need not)."""
    if cluster.document is None:
        raise DocumentError(f"{cluster.source}: the cluster was not read from a document")
    files = {name: bytes(cluster.files[name]) for name in sorted(cluster.files)}
    document = canonical(cluster.document)
    if not checked:
        return document, files
    # A cluster changed in memory after it was read (dataclasses.replace) keeps the
    # document it was read from, which no longer describes it: never journal that one.
    rebuilt = dataclasses.replace(
        cluster_of(document, files, cluster.source), source=cluster.source
    )
    if rebuilt != cluster:
        raise DocumentError(f"{cluster.source}: the cluster was changed after it was read")
    return document, files


def cluster_of(document: dict[str, Any], files: dict[str, bytes], source: str) -> Cluster:
    """Rebuild the cluster of a document, validated as a TOML file is (``ClusterError``)."""
    return cluster_from_document(document, source, files=files)


def fixed_changes(old: Cluster, new: Cluster) -> list[str]:
    """What ``new`` changes that can never change (:data:`FIXED`), in plain words."""
    out = []
    for name in FIXED:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            out.append(
                f"cluster.{name} cannot change in the life of a cluster ({before} → {after}): "
                "the journal's events are counted in it; a new cluster needs a new data "
                "directory"
            )
    return out


def differences(
    old: dict[str, Any],
    new: dict[str, Any],
    old_files: dict[str, bytes] | None = None,
    new_files: dict[str, bytes] | None = None,
) -> list[str]:
    """Every change from document ``old`` to ``new``, one plain sentence each."""
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        if key == "members":
            out += _members(old.get(key, []), new.get(key, []))
        else:
            out += _values(old.get(key), new.get(key), key)
    old_files, new_files = old_files or {}, new_files or {}
    for name in sorted(set(old_files) | set(new_files)):
        before, after = old_files.get(name), new_files.get(name)
        if before != after:
            sizes = f"{_size(before)} → {_size(after)}"
            out.append(f"file {show(name)} changes ({sizes})")
    return out


def _size(data: bytes | None) -> str:
    return "none" if data is None else f"{len(data)} bytes"


def _values(old: Any, new: Any, where: str) -> list[str]:
    """Differences of two values at the dotted place ``where``."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _values(old.get(key), new.get(key), f"{where}.{key}")
        return out
    if _by_id(old) is not None and _by_id(new) is not None:
        return _tables(_by_id(old), _by_id(new), where)
    return [f"{where} {_shown(old)} → {_shown(new)}"]


def _shown(value: Any) -> str:
    return "(not set)" if value is None else show(value)


def _by_id(value: Any) -> dict[str, dict] | None:
    """An array of tables each with an ``id``, by id; None for anything else."""
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, dict) and "id" in v for v in value):
        return None
    return {str(v["id"]): v for v in value}


def _tables(old: dict[str, dict], new: dict[str, dict], where: str) -> list[str]:
    out = []
    for key in [k for k in old if k not in new]:
        out.append(f"{where} {show(key)} is removed")
    for key in [k for k in new if k not in old]:
        out.append(f"{where} {show(key)} is added")
    for key in [k for k in new if k in old]:
        out += _values(old[key], new[key], f"{where} {show(key)}:")
    return [line.replace(": .", ": ") for line in out]


def _members(old: list[dict], new: list[dict]) -> list[str]:
    """Members joining, leaving or changing, and connection points added, moved, removed
    or changed (matched by id across members)."""
    before, after = _by_id(old) or {}, _by_id(new) or {}
    out = []
    for member_id, m in after.items():
        if member_id not in before:
            points = ", ".join(show(p.get("id")) for p in m.get("connection_points", []))
            role = m.get("role", "member")
            out.append(f"member {show(member_id)} joins (role {role}, connection points {points})")
    for member_id in before:
        if member_id not in after:
            out.append(f"member {show(member_id)} leaves")
    for member_id, m in after.items():
        if member_id in before:
            plain_old = {k: v for k, v in before[member_id].items() if k != "connection_points"}
            plain_new = {k: v for k, v in m.items() if k != "connection_points"}
            for line in _values(plain_old, plain_new, ""):
                out.append(f"member {show(member_id)}: {line.lstrip('.')}")
    owners_old, owners_new = _points(before), _points(after)
    for point_id, (owner, table) in owners_new.items():
        was = owners_old.get(point_id)
        if was is None:
            if owner in before:  # a joining member's points are said with it
                out.append(f"connection point {show(point_id)} is added to {show(owner)}")
            continue
        if was[0] != owner:
            out.append(
                f"connection point {show(point_id)} moves from {show(was[0])} to {show(owner)}"
            )
        for line in _values(was[1], table, ""):
            out.append(f"connection point {show(point_id)}: {line.lstrip('.')}")
    for point_id, (owner, _) in owners_old.items():
        if point_id not in owners_new and owner in after:  # a leaving member's go with it
            out.append(f"connection point {show(point_id)} of {show(owner)} is removed")
    return out


def _points(members: dict[str, dict]) -> dict[str, tuple[str, dict]]:
    """Connection point id -> (its member's id, its table)."""
    return {
        str(p["id"]): (member_id, p)
        for member_id, m in members.items()
        for p in m.get("connection_points", [])
        if isinstance(p, dict) and "id" in p
    }
