"""The gateway with the real token store: an expired token is refused with 401
``token-expired`` naming when, a revoked one with 401 ``unauthorized``, and a live one
passes; the same store answers "is this token still valid now" for a connection that
outlives its first request."""

from __future__ import annotations

from pathlib import Path

from engine.store.tokens import TokenStore
from tests.engine.gateway.test_refusals import problem
from tests.engine.store.test_tokens import Clock
from tests.gateway_support import T0, run, serve

EXPIRES_US = (T0 + 90 * 86_400) * 1_000_000  # 2026-04-01T00:00:00Z


@run
async def test_an_expired_token_is_refused_with_401_saying_it_expired(tmp_path: Path) -> None:
    clock = Clock(T0 * 1_000_000)
    with TokenStore.open(tmp_path / "tokens", clock) as store:
        expiring = store.issue("dom-1", EXPIRES_US)
        forever = store.issue("dom-1")
        revoked = store.issue("dom-2", EXPIRES_US)
        store.revoke("dom-2")
        async with serve(tmp_path / "data", tokens=store) as g:
            assert (await g.call("GET", "/v1/orders", expiring)).status == 200
            clock.now_us = EXPIRES_US
            reply = await g.call("GET", "/v1/orders", expiring)
            body = problem(reply, 401, "token-expired")
            assert "expired at 2026-04-01T00:00:00Z" in body["detail"]
            assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
            assert store.member_for(expiring) is None  # what a live stream can ask again
            assert (await g.call("GET", "/v1/orders", forever)).status == 200
            problem(await g.call("GET", "/v1/orders", revoked), 401, "unauthorized")
            problem(await g.call("GET", "/v1/orders", "not-a-token"), 401, "unauthorized")
