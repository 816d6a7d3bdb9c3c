"""The client SDK against the real gateway on loopback, in msgpack and in JSON: orders,
a full interval (gate closure, trades, readings, statement, KPIs), refusals as
KlasterError, 429 retries after Retry-After, and the live stream."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agents.client.sdk import KlasterClient, KlasterError, NewOrder, Reading
from engine import api
from engine.gateway import Limits
from tests.gateway_support import START, TOKENS, DictTokens, Gateway, run, serve

CODECS = ["msgpack", "json"]
START_DT = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
DELIVERED = START + 900


def client(g: Gateway, token: str, codec: str, **kwargs: object) -> KlasterClient:
    return KlasterClient(g.url, token, codec=codec, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_submit_list_replace_and_cancel_give_typed_results(
    tmp_path: Path, codec: str
) -> None:
    async with serve(tmp_path) as g, client(g, "t-dom-1", codec) as dom1:
        ack = await dom1.submit_order(START_DT, "P-1", "sell", Decimal("300.5"), 1800, "s1")
        assert (ack.order_id, ack.client_order_id, ack.duplicate) == (1, "s1", False)
        again = await dom1.submit_order(START, "P-1", "sell", "300.50", 1800, "s1")
        assert (again.order_id, again.duplicate) == (1, True)
        listed = await dom1.submit_orders(
            [NewOrder(START, "P-1", "sell", 310, 100), NewOrder(START_DT, "P-1", "sell", 320, 50)]
        )
        assert listed.order_ids == (2, 3)
        columns = await dom1.submit_batch(
            [START, START_DT],
            ["P-1", "P-1"],
            ["sell", "sell"],
            ["330.00", Decimal("340")],
            [10, 20],
        )
        assert columns.order_ids == (4, 5)

        replaced = await dom1.replace(2, price=Decimal("315.25"))
        assert (replaced.order_id, replaced.replaced_order_id) == (6, 2)
        cancelled = await dom1.cancel(3)
        assert (cancelled.order_id, cancelled.status) == (3, "cancelled")

        orders = await dom1.orders(START_DT)
        assert [(o.order_id, o.status) for o in orders] == [
            (1, "active"),
            (2, "cancelled"),
            (3, "cancelled"),
            (4, "active"),
            (5, "active"),
            (6, "active"),
        ]
        first = orders[0]
        assert first.interval_start == START_DT and first.price == Decimal("300.50")
        assert (first.connection_point, first.side, first.quantity_wh) == ("P-1", "sell", 1800)
        depth = await dom1.depth(START)
        assert [(a.price, a.quantity_wh) for a in depth.asks][:2] == [
            (Decimal("300.50"), 1800),
            (Decimal("315.25"), 100),
        ]
        assert depth.bids == ()


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_a_full_interval_from_orders_through_gate_closure_to_kpis(
    tmp_path: Path, codec: str
) -> None:
    async with (
        serve(tmp_path) as g,
        client(g, "t-dom-1", codec) as dom1,
        client(g, "t-dom-2", codec) as dom2,
        client(g, "t-oke", codec) as oke,
        client(g, "t-dso", codec) as dso,
    ):
        await dom1.submit_order(START, "P-1", "sell", "300.00", 2000)
        await dom2.submit_order(START, "P-2", "buy", "500.00", 2000)
        opened = await dom2.interval(START_DT)
        assert opened.state == "open" and opened.result is None
        assert opened.indicative is not None and opened.indicative.price == Decimal("400.00")
        calendar = await dom2.intervals(START, count=2)
        assert [i.interval_start for i in calendar] == [
            START_DT,
            datetime(2026, 1, 1, 1, 15, tzinfo=UTC),
        ]

        closure = await oke.close_gate(START_DT)
        assert closure.state == "cleared" and closure.result is not None
        assert (closure.result.volume_wh, closure.result.price) == (2000, Decimal("400.00"))
        [mine] = await dom2.trades(START)
        assert (mine.order_id, mine.side, mine.quantity_wh, mine.price) == (
            2,
            "buy",
            2000,
            Decimal("400.00"),
        )
        [every] = await oke.trades(START)
        assert (every.buyer, every.seller, every.seller_price) == (
            "dom-2",
            "dom-1",
            Decimal("400.00"),
        )
        assert [(o.status, o.filled_wh) for o in await dom1.orders()] == [("cleared", 2000)]

        g.at(DELIVERED)
        ack = await dso.send_readings(
            [
                Reading(START, "P-1", 0, 2000),
                Reading(START_DT, "P-2", 2500, 0),
                Reading(START, "P-OKE", 100, 0),
            ]
        )
        assert ack.recorded == 3 and [s.state for s in ack.intervals] == ["settled"]
        statement = await dom1.statement(START, DELIVERED)
        assert (statement.member, statement.from_, statement.intervals) == ("dom-1", START_DT, 1)
        assert (statement.sold_wh, statement.sold_grosz, statement.savings_grosz) == (2000, 80, 30)
        kpis = await dom2.kpis(START_DT, DELIVERED)
        assert (kpis.traded_wh, kpis.import_covered_locally) == (2000, Decimal("0.769231"))
        assert kpis.boundary_import_wh == 600
        assert kpis.average_buyer_price == Decimal("400.0000")


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_refusals_raise_klaster_error_with_status_type_and_field(
    tmp_path: Path, codec: str
) -> None:
    async with serve(tmp_path) as g, client(g, "t-dom-1", codec) as dom1:
        with pytest.raises(KlasterError) as refused:
            await dom1.submit_order(START, "P-2", "sell", "300.00", 1000)
        e = refused.value
        assert (e.status, e.code, e.field) == (422, "unknown-connection-point", "connection_point")
        assert e.type == "https://klaster.invalid/problems/unknown-connection-point"

        with pytest.raises(KlasterError) as batch:
            await dom1.submit_orders(
                [
                    NewOrder(START, "P-1", "sell", "300.00", 1000),
                    NewOrder(START, "P-1", "sell", 300, 0),
                ]
            )
        assert (batch.value.status, batch.value.field) == (422, "quantity_wh")
        assert [(r["row"], r["field"]) for r in batch.value.errors] == [(1, "quantity_wh")]

        with pytest.raises(KlasterError) as missing:
            await dom1.cancel(99)
        assert (missing.value.status, missing.value.code) == (404, "unknown-order")
        with pytest.raises(KlasterError) as forbidden:
            await dom1.close_gate(START)
        assert (forbidden.value.status, forbidden.value.code) == (403, "role-forbidden")
        assert await dom1.orders() == []  # nothing was booked


def test_money_never_goes_through_float() -> None:
    with pytest.raises(TypeError, match="price must be Decimal, int or str"):
        NewOrder(START, "P-1", "sell", 300.5, 1000).wire()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        NewOrder(datetime(2026, 1, 1), "P-1", "sell", 300, 1000).wire()
    assert NewOrder(START, "P-1", "sell", Decimal("3E+2"), 1).wire()["price"] == "300"


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_429_is_retried_after_retry_after_then_raised(tmp_path: Path, codec: str) -> None:
    async with serve(tmp_path, limits=Limits(rate_per_s=1.0, burst=1)) as g:
        async with client(g, "t-dom-1", codec, max_retries=0) as impatient:
            assert await impatient.orders() == []
            with pytest.raises(KlasterError) as limited:
                await impatient.orders()
        assert (limited.value.status, limited.value.code) == (429, "rate-limited")
        assert limited.value.retry_after == 1.0

        async with client(g, "t-dom-1", codec, max_retries=3) as patient:
            began = time.monotonic()
            ack = await patient.submit_order(START, "P-1", "sell", "300.00", 1000, "r1")
            assert ack.order_id == 1
            assert time.monotonic() - began >= 0.9  # waited for the bucket, as told


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_the_stream_yields_a_clearing_result_and_closes(tmp_path: Path, codec: str) -> None:
    async with (
        serve(tmp_path) as g,
        client(g, "t-dom-1", codec) as dom1,
        client(g, "t-dom-2", codec) as dom2,
    ):
        await dom1.submit_order(START, "P-1", "sell", "300.00", 2000)
        await dom2.submit_order(START, "P-2", "buy", "500.00", 2000)
        async with dom1.stream() as events:
            seen = [await anext(events)]
            assert isinstance(seen[0], api.Hello) and seen[0].member == "dom-1"
            g.at(START - 300)  # the ticker passes the gate and clears
            async with asyncio.timeout(10):
                async for message in events:
                    seen.append(message)
                    if {api.IntervalChanged, api.Fill} <= {type(m) for m in seen}:
                        break
        cleared = next(m for m in seen if isinstance(m, api.IntervalChanged))
        assert cleared.interval_start == datetime.fromtimestamp(START, UTC)
        assert cleared.state == "cleared"
        assert (cleared.result.volume_wh, cleared.result.price) == (2000, Decimal("400.00"))
        fill = next(m for m in seen if isinstance(m, api.Fill))
        assert (fill.order_id, fill.quantity_wh, fill.price) == (1, 2000, Decimal("400.00"))
        assert (fill.side, fill.phase) == ("sell", "auction")


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_a_stream_ended_by_revocation_says_why(tmp_path: Path, codec: str) -> None:
    tokens = DictTokens(dict(TOKENS))
    async with serve(tmp_path, tokens=tokens) as g, client(g, "t-dom-1", codec) as dom1:
        async with dom1.stream() as events:
            assert isinstance(await anext(events), api.Hello)
            del tokens.tokens["t-dom-1"]  # revoked
            async with asyncio.timeout(5):
                rest = [message async for message in events]
        assert rest == []
        assert (events.close_code, events.close_reason) == (
            api.StreamClose.TOKEN_REVOKED,
            "token revoked or expired",
        )


@pytest.mark.parametrize("codec", CODECS)
@run
async def test_the_stream_yields_the_coordinators_price_bands_as_typed_messages(
    tmp_path: Path, codec: str
) -> None:
    async with (
        serve(tmp_path) as g,
        client(g, "t-dom-1", codec) as dom1,
        client(g, "t-oke", codec) as oke,
    ):
        async with dom1.stream() as events:
            assert isinstance(await anext(events), api.Hello)
            bands = {"bands": [{"interval_start": START, "floor": "200.00", "cap": "950.50"}]}
            await oke.request("POST", "/v1/price-bands", bands)
            async with asyncio.timeout(10):
                message = await anext(events)
        assert message == api.PriceBandsChanged(
            [
                api.PublishedBand(
                    datetime.fromtimestamp(START, UTC), Decimal("200.00"), Decimal("950.50")
                )
            ]
        )
