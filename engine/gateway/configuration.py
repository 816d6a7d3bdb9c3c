"""``GET /v1/cluster`` and ``POST /v1/cluster/changes`` (the coordinator's): the cluster's
configuration as the journal holds it, and changing it (:mod:`engine.market.changes`).

A change's document is validated by the same parser and rules as a config file: a broken
rule is 422 ``bad-config`` naming it (``members: exactly one member must have role
"coordinator", found none``); an effective instant that is not an interval start is 422,
one whose interval is cleared or past its gate 409 ``interval-not-open``; fields a cluster
keeps for life are 422 ``bad-value``. Nothing is journaled unless all of it holds.
"""

from __future__ import annotations

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

US = 1_000_000


async def read(request: web.Request) -> web.Response:
    """GET /v1/cluster?at=INSTANT: the configuration in force at ``at`` (default now)."""
    params.caller(request, "coordinator")
    market = params.market(request)
    at = params.instant(request, "at", market.clock.now_us() // US)
    start = market.calendar.start_of(at)
    version = market.versions.index(start)
    document, files = document_of(market.versions.clusters[version])
    text = {name: data.decode("utf-8", "replace") for name, data in files.items()}
    since = market.versions.starts[version]
    return respond(request, api.ClusterConfig(moment(since), document, text))


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
