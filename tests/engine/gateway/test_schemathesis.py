"""Schemathesis against the real gateway on loopback: every operation of the generated
OpenAPI document, with examples generated from its schemas (bounded), sent as JSON and as
msgpack (a registered serializer), answered as JSON and as msgpack (Accept), with a
member's token and the coordinator's. Any 5xx fails, and so does any answer whose status,
content type or body its route does not document.

One server for the module (its market fills up as examples arrive: later examples meet
booked orders, closed gates and a clock the coordinator moved, which is the point)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, reject, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.api.openapi import document
from tests.gateway_support import JSON, MSGPACK, LiveGateway

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CALLERS = [(token, accept) for token in ("t-dom-1", "t-oke") for accept in (JSON, MSGPACK)]
EXAMPLES = 12  # per operation; each example is sent once per caller and codec


@schemathesis.serializer(MSGPACK)
def to_msgpack(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    try:
        return msgpack.packb(value, use_bin_type=True)
    except OverflowError:  # an int beyond 64 bits: no msgpack client can send it
        reject()


@schemathesis.deserializer(MSGPACK)
def from_msgpack(ctx: schemathesis.DeserializationContext, response: Any) -> Any:
    return msgpack.unpackb(response.content, raw=False)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with LiveGateway(tmp_path_factory.mktemp("schemathesis") / "data") as gateway:
        yield gateway


# The document the server serves (test_api checks they are equal), read without a server so
# that pytest can list the operations.
schema = schemathesis.openapi.from_dict(document(with_metrics=True))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, live: LiveGateway) -> None:
    for token, accept in CALLERS:
        headers = {"Authorization": f"Bearer {token}", "Accept": accept}
        case.call_and_validate(base_url=live.url, headers=headers, checks=CHECKS)
