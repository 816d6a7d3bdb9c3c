"""Who may trade what: the cluster's members and connection points as dense int codes.

The config speaks in string ids; the market in int codes (a member's index in the config,
a connection point's index among all points in config order), so that checks over a batch
are array lookups: ``owner[point]``, ``max_import_wh[point]``, ``max_export_wh[point]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRADING_ROLES = ("member", "coordinator")


@dataclass(frozen=True)
class Registry:
    member_ids: tuple[str, ...]  # code -> id
    member_roles: tuple[str, ...]  # code -> role
    point_ids: tuple[str, ...]  # code -> id
    owner: np.ndarray  # point code -> member code
    max_import_wh: np.ndarray  # point code -> Wh per interval
    max_export_wh: np.ndarray
    member_code: dict[str, int]
    point_code: dict[str, int]

    @classmethod
    def of(cls, cluster) -> Registry:
        member_ids, roles, point_ids, owner, imp, exp = [], [], [], [], [], []
        for code, member in enumerate(cluster.members):
            member_ids.append(member.id)
            roles.append(member.role)
            for point in member.connection_points:
                point_ids.append(point.id)
                owner.append(code)
                imp.append(point.max_import_wh)
                exp.append(point.max_export_wh)
        return cls(
            tuple(member_ids),
            tuple(roles),
            tuple(point_ids),
            np.array(owner, np.int64),
            np.array(imp, np.int64),
            np.array(exp, np.int64),
            {m: i for i, m in enumerate(member_ids)},
            {p: i for i, p in enumerate(point_ids)},
        )

    def points_of(self, member: int) -> np.ndarray:
        """The codes of a member's connection points."""
        return np.flatnonzero(self.owner == member)
