"""POST /v1/readings (dso and coordinator): meter readings in, all or nothing.

Body: ``{"readings": [{"interval_start", "connection_point", "import_wh", "export_wh"}]}``
or the same four fields as arrays (columns). A reading for an interval not yet delivered
is 409; a correction of an earlier reading re-settles its interval (the engine keeps the
difference as an adjustment). Answer: how many were recorded and the states of the
intervals they touched.
"""

from __future__ import annotations

import numpy as np
from aiohttp import web

from engine import api
from engine.gateway import commands, params, views
from engine.gateway.encoding import read_body, respond
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import from_batch
from engine.gateway.quantities import moment
from engine.market.market import Done


async def record(request: web.Request) -> web.Response:
    who = params.caller(request)
    market = params.market(request)
    body = await read_body(request)
    batch, points = commands.readings(body, market.registry.point_code)
    done = market.record_readings(who.member_id, batch)
    if not isinstance(done, Done):
        raise from_batch(done, points)
    await request.app[RUNTIME].durable(done.seq)
    intervals = tuple(
        api.IntervalStatus(moment(s), str(views.interval_state(market, s)))  # type: ignore[arg-type]
        for s in np.unique(batch.interval_start).tolist()
    )
    return respond(request, api.ReadingsRecorded(len(batch), intervals))
