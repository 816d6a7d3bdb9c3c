"""``GET /v1/cluster`` and ``POST /v1/cluster/changes`` (the coordinator's): the cluster's
configuration as the journal holds it, and changing it (:mod:`engine.market.changes`);
``GET /v1/register``: the register conditions of the configuration in force
(:mod:`engine.settlement.register`).

A change's document is validated by the same parser and rules as a config file: a broken
rule is 422 ``bad-config`` naming it (``members: exactly one member must have role
"coordinator", found none``); an effective instant that is not an interval start is 422,
one whose interval is cleared or past its gate 409 ``interval-not-open``; fields a cluster
keeps for life are 422 ``bad-value``. Nothing is journaled unless all of it holds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from engine import api
from engine.config.cluster import ClusterError, cluster_from_document
from engine.config.document import document_of
from engine.gateway import params, validation
from engine.gateway.encoding import read_body, respond
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import Problem, from_rejected
from engine.gateway.quantities import instant, moment
from engine.market.commands import Changed
from engine.settlement.register import Condition, register_figures
from matching.units import RATIO_DECIMALS, round_decimal

US = 1_000_000


async def read(request: web.Request) -> web.Response:
    """GET /v1/cluster?at=INSTANT: the configuration in force at ``at`` (default now)."""
    since, cluster = _in_force(request)
    document, files = document_of(cluster)
    text = {name: data.decode("utf-8", "replace") for name, data in files.items()}
    return respond(request, api.ClusterConfig(moment(since), document, text))


async def register(request: web.Request) -> web.Response:
    """GET /v1/register?at=INSTANT: the register conditions of the configuration in force
    at ``at`` (default now)."""
    since, cluster = _in_force(request)
    f = register_figures(cluster)
    answer = api.Register(
        effective_from=moment(since),
        installed_kw=f.installed_kw,
        renewable_kw=f.renewable_kw,
        other_kw=f.other_kw,
        unspecified_kw=f.unspecified_kw,
        storage_kw=f.storage_kw,
        storage_kwh=f.storage_kwh,
        annual_demand_kwh=f.annual_demand_kwh,
        expected_generation_kwh=f.expected_generation_kwh,
        expected_renewable_kwh=f.expected_renewable_kwh,
        installed=_condition(f.installed),
        renewable_share=_condition(f.renewable_share),
        demand_cover=_condition(f.demand_cover),
        storage_share=_condition(f.storage_share),
        max_voltage_kv=f.max_voltage_kv,
        network="met" if f.network == "met" else "unverified",
        voltage_unspecified=list(f.voltage_unspecified),
        municipality="met" if f.municipality == "met" else "unverified",
        municipal_members=list(f.municipal_members),
        legal_kind_unspecified=list(f.legal_kind_unspecified),
    )
    return respond(request, answer)


def _in_force(request: web.Request) -> tuple[int, Any]:
    """The coordinator's ``?at=`` (default now): since when [s] which configuration is in
    force."""
    params.caller(request, "coordinator")
    market = params.market(request)
    at = params.instant(request, "at", market.clock.now_us() // US)
    version = market.versions.index(market.calendar.start_of(at))
    return market.versions.starts[version], market.versions.clusters[version]


def _condition(c: Condition) -> api.RegisterCondition:
    """A condition with its figure rounded once from the exact value (6 decimals)."""
    value = None if c.value is None else round_decimal(c.value, RATIO_DECIMALS)
    return api.RegisterCondition(value, Decimal(c.threshold), c.met)


async def change(request: web.Request) -> web.Response:
    """POST /v1/cluster/changes: journal a new configuration from an interval on."""
    who = params.caller(request, "coordinator")
    market = params.market(request)
    body = validation.one(await read_body(request, exact=False), api.ClusterChange, "body")
    effective = None
    if body.effective_from is not None:
        effective = instant(body.effective_from, "effective_from")
    files = {name: text.encode() for name, text in body.files.items()}
    try:
        cluster = cluster_from_document(body.config, "config", files=files)
    except ClusterError as exc:
        raise Problem(422, "bad-config", str(exc), "config") from None
    answer = market.change_cluster(who.member_id, cluster, effective)
    if not isinstance(answer, Changed):
        raise from_rejected(answer)
    await request.app[RUNTIME].durable(answer.seq)
    applied = api.ClusterChanged(
        answer.seq, moment(answer.effective_from_s), list(answer.changes), list(answer.cancelled)
    )
    return respond(request, applied)
