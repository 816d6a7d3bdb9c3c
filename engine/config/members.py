"""Members and connection points of a cluster config: their types, parsing and the rules
that span all of them (roles, one DSO, the area). Re-exported by :mod:`engine.config.cluster`.

Errors are :class:`~engine.config.toml_table.FieldError` naming the member and connection point
(``member "szkola-1", connection point "PL-2"``, or ``member #3`` while the id itself is bad);
:func:`engine.config.cluster.parse_cluster` adds the file name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from engine.config.area import Terc, check_area, parse_terc
from engine.config.billing import POINT_BILLING_KEYS, PointBilling
from engine.config.price_bands import PLAIN_DECIMAL
from engine.config.register import (
    LEGAL_KINDS,
    POINT_REGISTER_KEYS,
    PointRegister,
    parse_point_register,
)
from engine.config.toml_table import FieldError, Table, show
from matching.units import KW_DECIMALS, decimal_to_int, energy_wh

ROLES = ("member", "coordinator", "dso")
ID_PATTERN = re.compile(r"[a-z0-9-]{1,40}")
ID_EXPECTED = "1..40 of a-z, 0-9 and -"
POINT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
POINT_ID_EXPECTED = "1..64 of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
#: Largest power limit of one connection point [kW] (1 GW): keeps a point's Wh per interval,
#: even over 1440 minutes, far below matching.units.MAX_SIDE_WH.
MAX_POINT_KW = 1_000_000
MEMBER_KEYS = ("id", "name", "role", "legal_kind", "connection_points")
POINT_KEYS = (
    "id", "terc", "dso", "max_import_kw", "max_export_kw", *POINT_REGISTER_KEYS,
    *POINT_BILLING_KEYS,
)  # fmt: skip
#: Reads a point's billing keys (engine.config.billing.point_billing_parser).
BillingParser = Callable[[Table, PointRegister], PointBilling]


@dataclass(frozen=True, slots=True)
class ConnectionPoint:
    """A metering point (PPE) of a member, with its power limits per interval."""

    id: str
    code: int  # index among all connection points of the cluster, in file order
    member_code: int  # code of the member it belongs to
    terc: Terc
    dso: str
    max_import_kw: Decimal
    max_export_kw: Decimal
    max_import_wh: int  # most energy it can import in one interval [Wh]
    max_export_wh: int  # most energy it can export in one interval [Wh]
    # Register facts (engine.config.register): not in repr, so not in the fingerprint.
    register: PointRegister = field(default=PointRegister(), repr=False)
    # How it is billed (engine.config.billing): not in repr, so not in the fingerprint.
    billing: PointBilling = field(default=PointBilling(), repr=False)


@dataclass(frozen=True, slots=True)
class Member:
    """A party of the cluster; ``role`` is one of :data:`ROLES`."""

    id: str
    name: str
    role: str
    code: int  # index in the config's member list
    connection_points: tuple[ConnectionPoint, ...]
    # engine.config.register.LEGAL_KINDS: not in repr, so not in the fingerprint.
    legal_kind: str = field(default="unspecified", repr=False)


def max_wh_per_interval(kw: Decimal, interval_minutes: int) -> int:
    """Return the most energy [Wh] a power of ``kw`` [kW] (>= 0) gives in one interval.

    ``floor(kw * 1000 * interval_minutes / 60)``, exact: a limit is never rounded up, so
    0.001 kW over 15 minutes is 0 Wh (0.25 Wh floored) and 3.7 kW is 925 Wh.
    """
    watts = decimal_to_int(str(kw), KW_DECIMALS, "power")  # exact: kw has <= 3 decimals
    return energy_wh(watts, interval_minutes * 60)


def parse_members(
    tables: list[object], interval_minutes: int, billing: BillingParser | None = None
) -> tuple[Member, ...]:
    """Parse the ``[[members]]`` array; check ids, roles and points member by member;
    ``billing`` reads each point's billing keys (None: the defaults)."""
    members: list[Member] = []
    member_number: dict[str, int] = {}  # id -> 1-based position, for duplicate messages
    point_owner: dict[str, str] = {}  # connection point id -> member id
    point_code = 0
    for number, value in enumerate(tables, start=1):
        raw_id = value.get("id") if isinstance(value, dict) else None
        named = isinstance(raw_id, str) and ID_PATTERN.fullmatch(raw_id)
        where = f"member {show(raw_id)}" if named else f"member #{number}"
        m = Table(value, where, "", MEMBER_KEYS, "a member")
        member_id = m.matching("id", ID_PATTERN, ID_EXPECTED)
        if member_id in member_number:
            raise FieldError(
                f"member #{number}",
                f"id {show(member_id)} is already used by member #{member_number[member_id]}",
            )
        member_number[member_id] = number
        name = m.string("name")
        role = m.choice("role", ROLES, "member")
        legal_kind = m.choice("legal_kind", LEGAL_KINDS, "unspecified")
        raw_points = (
            m.tables("connection_points", "[[members.connection_points]]")
            if "connection_points" in value
            else []
        )
        if role == "dso" and raw_points:
            m.fail(
                f'a member with role "dso" must have no connection_points, found {len(raw_points)}'
            )
        if role != "dso" and not raw_points:
            m.fail(
                f"connection_points must list at least one connection point ([[members."
                f'connection_points]]) for role "{role}", found none'
            )
        points = []
        for point_number, point_value in enumerate(raw_points, start=1):
            point = _point(
                point_value, where, point_number, point_code, number - 1, interval_minutes, billing
            )
            if point.id in point_owner:
                raise FieldError(
                    f"{where}, connection point #{point_number}",
                    f"id {show(point.id)} is already used by member {show(point_owner[point.id])}",
                )
            point_owner[point.id] = member_id
            points.append(point)
            point_code += 1
        members.append(Member(member_id, name, role, number - 1, tuple(points), legal_kind))
    return tuple(members)


def _point(
    value: object,
    member_where: str,
    number: int,
    code: int,
    member_code: int,
    minutes: int,
    billing: BillingParser | None,
) -> ConnectionPoint:
    raw_id = value.get("id") if isinstance(value, dict) else None
    named = isinstance(raw_id, str) and POINT_ID_PATTERN.fullmatch(raw_id)
    where = f"{member_where}, connection point {show(raw_id) if named else f'#{number}'}"
    p = Table(value, where, "", POINT_KEYS, "a connection point")
    point_id = p.matching("id", POINT_ID_PATTERN, POINT_ID_EXPECTED)
    terc_text = p.raw("terc")
    try:
        terc = parse_terc(terc_text)
    except ValueError as exc:
        p.fail(f"terc {exc}")
    dso = p.string("dso")
    import_kw, export_kw = _kw(p, "max_import_kw"), _kw(p, "max_export_kw")
    register = parse_point_register(p)
    return ConnectionPoint(
        id=point_id,
        code=code,
        member_code=member_code,
        terc=terc,
        dso=dso,
        max_import_kw=import_kw,
        max_export_kw=export_kw,
        max_import_wh=max_wh_per_interval(import_kw, minutes),
        max_export_wh=max_wh_per_interval(export_kw, minutes),
        register=register,
        billing=PointBilling() if billing is None else billing(p, register),
    )


def _kw(p: Table, key: str) -> Decimal:
    text = p.decimal_text(key)
    value = Decimal(text) if PLAIN_DECIMAL.fullmatch(text) else None
    if value is None or value < 0 or value.scaleb(KW_DECIMALS) % 1 != 0:
        p.fail(f'{key} must be a decimal >= 0 [kW] with at most 3 decimals, was "{text}"')
    if value > MAX_POINT_KW:
        p.fail(f'{key} must be <= {MAX_POINT_KW} [kW], was "{text}"')
    return value


def check_cluster_rules(members: tuple[Member, ...]) -> None:
    """Check the rules over all members: one coordinator, at most one dso, one DSO, the area."""
    for role, lowest, highest in (("coordinator", 1, 1), ("dso", 0, 1)):
        ids = [m.id for m in members if m.role == role]
        if not lowest <= len(ids) <= highest:
            expected = "exactly one member" if lowest else "at most one member"
            found = ", ".join(show(i) for i in ids) if ids else "none"
            raise FieldError("members", f'{expected} must have role "{role}", found {found}')
    first = next(p for m in members for p in m.connection_points)  # the coordinator has one
    for member in members:
        for point in member.connection_points:
            if point.dso != first.dso:
                raise FieldError(
                    f"member {show(member.id)}, connection point {show(point.id)}",
                    f"dso must be the same for all connection points ({show(first.dso)} on "
                    f"{show(first.id)}), was {show(point.dso)}",
                )
    reason = check_area(p.terc for m in members for p in m.connection_points)
    if reason is not None:
        raise FieldError("area", reason)
