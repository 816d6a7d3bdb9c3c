"""The client SDK's pages of own orders against the real gateway on loopback: one page, an
async iterator over every page, and the full list, in msgpack and in JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.client.sdk import KlasterClient
from tests.gateway_support import START, run, serve

CODECS = ["msgpack", "json"]


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_pages_of_own_orders_walk_every_order_once_in_order(
    tmp_path: Path, codec: str
) -> None:
    async with (
        serve(tmp_path) as g,
        KlasterClient(g.url, "t-dom-1", codec=codec) as dom1,  # type: ignore[arg-type]
    ):
        n = 260
        starts = np.where(np.arange(n) % 3 == 0, START + 900, START).astype(np.int64)
        ack = await dom1.submit_batch(
            starts, ["P-1"] * n, ["sell"] * n, ["300.00"] * n, np.full(n, 10, np.int64)
        )
        ids = list(ack.order_ids)
        await dom1.cancel(ids[5])

        page = await dom1.order_page()
        assert [o.order_id for o in page.orders] == ids[:100]
        assert page.next_cursor == ids[99]
        rest = await dom1.order_page(cursor=page.next_cursor, limit=1000)
        assert [o.order_id for o in rest.orders] == ids[100:] and rest.next_cursor is None

        walked = [o.order_id async for o in dom1.iter_orders(page_size=7)]
        assert walked == ids
        assert [o.order_id for o in await dom1.orders()] == ids
        late = [o.order_id async for o in dom1.iter_orders(START + 900, page_size=11)]
        assert late == [i for i, s in zip(ids, starts.tolist(), strict=True) if s == START + 900]
        assert [o.order_id for o in await dom1.orders(status="cancelled")] == [ids[5]]
        booked = sorted(o["order_id"] for o in g.runtime.market.orders("dom-1"))
        assert booked == ids
