"""Who may trade what: the cluster's members and connection points as dense int codes.

The config speaks in string ids; the market in int codes, so that checks over a batch are
array lookups: ``owner[point]``, ``max_import_wh[point]``, ``max_export_wh[point]``. Codes
are stable for the life of a cluster: the first configuration numbers its members and their
points in file order, and a later one (:mod:`engine.market.versions`) keeps every code it
knows and appends the ids it does not, in its file order. A member or point that is not in
a configuration keeps its code there, inactive: ``active[member]`` is False, ``owner[point]``
is -1 and its limits are 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TRADING_ROLES = ("member", "coordinator")
NO_OWNER = -1  # owner of a connection point not in the configuration


@dataclass(frozen=True)
class Registry:
    member_ids: tuple[str, ...]  # code -> id
    member_roles: tuple[str, ...]  # code -> role (the last one it had, if inactive)
    point_ids: tuple[str, ...]  # code -> id
    owner: np.ndarray  # point code -> member code, NO_OWNER if not in this configuration
    max_import_wh: np.ndarray  # point code -> Wh per interval
    max_export_wh: np.ndarray
    member_code: dict[str, int]
    point_code: dict[str, int]
    active: np.ndarray  # member code -> bool: in this configuration
    # The same columns as lists, for checks of one order (a list item is a fraction of
    # the cost of a numpy element): owner, max import and export [Wh] by point, active by
    # member.
    owner_of: list[int] = field(init=False, repr=False, compare=False)
    import_limit: list[int] = field(init=False, repr=False, compare=False)
    export_limit: list[int] = field(init=False, repr=False, compare=False)
    in_force: list[bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, column in (
            ("owner_of", self.owner),
            ("import_limit", self.max_import_wh),
            ("export_limit", self.max_export_wh),
            ("in_force", self.active),
        ):
            object.__setattr__(self, name, column.tolist())

    @classmethod
    def of(cls, cluster, known: Registry | None = None) -> Registry:
        """The registry of ``cluster``, keeping the codes of ``known`` (if given) and
        appending new ids after them."""
        member_ids = list(known.member_ids) if known else []
        roles = list(known.member_roles) if known else []
        point_ids = list(known.point_ids) if known else []
        member_code = dict(known.member_code) if known else {}
        point_code = dict(known.point_code) if known else {}
        for member in cluster.members:
            if member.id not in member_code:
                member_code[member.id] = len(member_ids)
                member_ids.append(member.id)
                roles.append(member.role)
            roles[member_code[member.id]] = member.role
            for point in member.connection_points:
                if point.id not in point_code:
                    point_code[point.id] = len(point_ids)
                    point_ids.append(point.id)
        owner = np.full(len(point_ids), NO_OWNER, np.int64)
        imp = np.zeros(len(point_ids), np.int64)
        exp = np.zeros(len(point_ids), np.int64)
        active = np.zeros(len(member_ids), bool)
        for member in cluster.members:
            code = member_code[member.id]
            active[code] = True
            for point in member.connection_points:
                p = point_code[point.id]
                owner[p], imp[p], exp[p] = code, point.max_import_wh, point.max_export_wh
        return cls(
            tuple(member_ids),
            tuple(roles),
            tuple(point_ids),
            owner,
            imp,
            exp,
            member_code,
            point_code,
            active,
        )

    def points_of(self, member: int) -> np.ndarray:
        """The codes of a member's connection points."""
        return np.flatnonzero(self.owner == member)
