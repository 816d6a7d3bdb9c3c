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
    market = params.market(request)
    cluster = market.cluster_at(market.calendar.start_of(market.clock.now_us() // 1_000_000))
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
    now_start = market.calendar.start_of(market.clock.now_us() // 1_000_000)
    cluster = market.cluster_at(now_start)  # the configuration in force now
    member = cluster.member_by_id(member_id)
    in_force = member is not None
    if member is None:  # joins later, or left: its name and role as last configured
        found = (c.member_by_id(member_id) for c in reversed(market.versions.clusters))
        member = next((m for m in found if m is not None), None)
    if member is None:  # only in a configuration a later change replaced
        code = market.registry.member_code[member_id]
        member = Member(member_id, member_id, market.registry.member_roles[code], code, ())
    tick = cluster.tick_pln_mwh
    points = _points(member) if in_force else []
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
