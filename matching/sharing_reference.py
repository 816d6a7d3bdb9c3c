"""Plain-Python reference of the sharing keys (:mod:`matching.sharing` states the
rules): member by member, with exact fractions, and the iterative key as literal rounds
that hand out what saturated members could not use. Slow; for tests only."""

from __future__ import annotations

from fractions import Fraction

Matrix = list[list[int]]  # [member][interval] [Wh]


def largest_remainder(exact: list[Fraction]) -> list[int]:
    """Round exact shares [Wh] whose sum is whole: floors, then one Wh each to the largest
    fractional parts, ties to the lower index."""
    floors = [int(x // 1) for x in exact]
    left = int(sum(exact)) - sum(floors)
    ranked = sorted(range(len(exact)), key=lambda m: (-(exact[m] - floors[m]), m))
    for m in ranked[:left]:
        floors[m] += 1
    return floors


def _columns(production: list[int], consumption: Matrix, rule) -> Matrix:
    members = len(consumption)
    out = [[0] * len(production) for _ in range(members)]
    for t, p in enumerate(production):
        column = rule(p, [consumption[m][t] for m in range(members)])
        for m in range(members):
            out[m][t] = column[m]
    return out


def static(production: list[int], consumption: Matrix, weights: list[int]) -> Matrix:
    """Fixed shares, rounded, then capped at consumption."""
    total = sum(weights)

    def rule(p: int, c: list[int]) -> list[int]:
        if total == 0:
            return [0] * len(c)
        shares = largest_remainder([Fraction(p * w, total) for w in weights])
        return [min(s, cm) for s, cm in zip(shares, c, strict=True)]

    return _columns(production, consumption, rule)


def pro_rata(production: list[int], consumption: Matrix) -> Matrix:
    """Shares in proportion to consumption, never more than it."""

    def rule(p: int, c: list[int]) -> list[int]:
        total = sum(c)
        if total == 0:
            return [0] * len(c)
        return largest_remainder([Fraction(min(p, total) * cm, total) for cm in c])

    return _columns(production, consumption, rule)


def priority(production: list[int], consumption: Matrix, order: list[int]) -> Matrix:
    """Members in ``order`` each take their consumption while production lasts."""

    def rule(p: int, c: list[int]) -> list[int]:
        out = [0] * len(c)
        for m in order:
            out[m] = min(c[m], p)
            p -= out[m]
        return out

    return _columns(production, consumption, rule)


def iterative(
    production: list[int], consumption: Matrix, weights: list[int], rounds: int | None = None
) -> Matrix:
    """Round after round: share what is left by weight among the members with room; a
    member's share beyond its room goes back into what is left. With at most ``rounds``
    rounds, the last round's shares are rounded, then capped at the room (static's rule)."""

    def rule(p: int, c: list[int]) -> list[int]:
        given = [Fraction(0)] * len(c)
        left = Fraction(p)
        room = [m for m in range(len(c)) if weights[m] > 0]
        done = 0
        while room and left > 0:
            total = sum(weights[m] for m in room)
            handed = {m: left * weights[m] / total for m in room}
            done += 1
            if done == rounds:  # the last round: the members with room share, capped
                shares = largest_remainder([given[m] + handed[m] for m in room])
                out = [int(g) for g in given]  # the others were saturated: whole Wh
                for m, share in zip(room, shares, strict=True):
                    out[m] = min(share, c[m])
                return out
            left = Fraction(0)
            still = []
            for m in room:
                take = min(handed[m], c[m] - given[m])
                given[m] += take
                left += handed[m] - take
                if given[m] < c[m]:
                    still.append(m)
            room = still
        return largest_remainder(given)

    return _columns(production, consumption, rule)
