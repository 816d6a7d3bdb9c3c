"""``GET /v1/me``: the member behind the token, its connection points with their limits,
the price band now and the market's rules, so that a client learns what its orders may
name before it sends one; ``GET /v1/members`` (coordinator): every member and its points."""

from __future__ import annotations

from aiohttp import web

from engine import api
from engine.config.members import Member
from engine.gateway import params
from engine.gateway.encoding import respond
from engine.gateway.quantities import moment, pln_mwh
from engine.market.market import Market


async def me(request: web.Request) -> web.Response:
    """GET /v1/me (any member with a token)."""
    who = params.caller(request)
    return respond(request, member_view(params.market(request), who.member_id))


async def members(request: web.Request) -> web.Response:
    """GET /v1/members (coordinator): every member with its connection points."""
    params.caller(request)
    cluster = params.market(request).cluster
    listed = [
        api.Member(m.id, m.name, m.role, _points(m))  # type: ignore[arg-type]
        for m in cluster.members
    ]
    return respond(request, api.Members(listed))


def _points(member: Member) -> list[api.OwnConnectionPoint]:
    return [
        api.OwnConnectionPoint(
            p.id, p.max_import_wh, p.max_export_wh, p.max_import_kw, p.max_export_kw
        )
        for p in member.connection_points
    ]


def member_view(market: Market, member_id: str) -> api.Me:
    """What :class:`engine.api.Me` says of ``member_id`` (a member of the market's cluster)."""
    cluster = market.cluster
    member = cluster.member_by_id(member_id)
    assert member is not None  # the gateway's callers are the cluster's members
    tick = cluster.tick_pln_mwh
    points = _points(member)
    now_start = market.calendar.start_of(market.clock.now_us() // 1_000_000)
    floor, cap = market.band(now_start)
    rules = api.MarketRules(
        timezone=cluster.timezone.key,
        interval_minutes=cluster.interval_minutes,
        gate_closure_minutes=cluster.gate_closure_minutes,
        horizon_intervals=cluster.horizon_intervals,
        continuous_minutes=cluster.continuous_minutes,
        mechanism=cluster.mechanism,
        tick_pln_mwh=tick,
        network_fee_pln_mwh=pln_mwh(cluster.network_fee_ticks, tick),
    )
    return api.Me(
        member_id=member.id,
        name=member.name,
        role=member.role,  # type: ignore[arg-type]
        cluster=api.ClusterRef(cluster.id, cluster.name),
        connection_points=points,
        band=api.BandNow(moment(now_start), pln_mwh(floor, tick), pln_mwh(cap, tick)),
        rules=rules,
    )
