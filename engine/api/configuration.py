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

from decimal import Decimal
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from engine.api.values import Instant, InstantIn, OrderId, Ratio


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


Kw = Annotated[Decimal, Meta(description="[kW], exact", examples=["1250.5"])]
KwhPerYear = Annotated[Decimal, Meta(description="[kWh/a], exact", examples=["1500000"])]
Stated = Literal["met", "unverified"]


class RegisterCondition(Struct, frozen=True):
    """A register condition: the figure, its threshold and whether it holds (``met`` null:
    the config states nothing to decide it on, ``value`` then null too)."""

    value: Ratio | None
    threshold: Decimal
    met: bool | None


class Register(Struct, frozen=True):
    """The cluster register's conditions as the configuration in force at an instant gives
    them (since ``effective_from``): ``installed`` in MW against the most allowed, the
    renewable share of the expected yearly generation, the demand cover (expected yearly
    generation / the members' annual demand) and the storage share (storage kW / installed
    kW) against their least; the network and municipality conditions ``met``, or
    ``unverified`` naming the points without a voltage and the members without a legal
    kind. Ratios and MW with 6 decimals."""

    effective_from: Instant
    installed_kw: Kw
    renewable_kw: Kw
    other_kw: Kw
    unspecified_kw: Kw
    storage_kw: Kw
    storage_kwh: Annotated[Decimal, Meta(description="[kWh], exact")]
    annual_demand_kwh: KwhPerYear
    expected_generation_kwh: KwhPerYear
    expected_renewable_kwh: KwhPerYear
    installed: RegisterCondition
    renewable_share: RegisterCondition
    demand_cover: RegisterCondition
    storage_share: RegisterCondition
    max_voltage_kv: Annotated[Decimal, Meta(description="[kV]: the network is below it")]
    network: Stated
    voltage_unspecified: list[str]
    municipality: Stated
    municipal_members: list[str]
    legal_kind_unspecified: list[str]
