"""POST /v1/price-bands (coordinator): publish price bands for intervals whose auction is
still open. Body: ``{"bands": [{"interval_start", "floor", "cap"}]}`` with floor and cap
in PLN/MWh. A band for an interval whose gate has closed is 409 (its trades and their
settlement are fixed). Gate closure itself is ``POST /v1/intervals/{start}/close``
(:mod:`engine.gateway.intervals`).
"""

from __future__ import annotations

from aiohttp import web

from engine import api
from engine.gateway import commands, params
from engine.gateway.encoding import read_body, respond
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import from_batch
from engine.gateway.quantities import moment, pln_mwh
from engine.market.market import Done


async def publish_bands(request: web.Request) -> web.Response:
    who = params.caller(request)
    market = params.market(request)
    body = await read_body(request)
    tick = market.cluster.tick_pln_mwh
    batch = commands.bands(body, tick)
    done = market.publish_bands(who.member_id, batch)
    if not isinstance(done, Done):
        raise from_batch(done)
    await request.app[RUNTIME].durable(done.seq)
    bands = [
        api.PublishedBand(moment(s), pln_mwh(f, tick), pln_mwh(c, tick))
        for s, f, c in zip(
            batch.interval_start.tolist(), batch.floor.tolist(), batch.cap.tolist(), strict=True
        )
    ]
    return respond(request, api.BandsPublished(len(bands), bands))
