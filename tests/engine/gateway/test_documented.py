"""Every answer of a full interval day (the scenarios of ``test_day``, in JSON and msgpack)
is documented: its route, method and status are in the generated OpenAPI document, and its
body validates against the schema the document gives for that status and media type."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from engine.api.openapi import document
from tests.engine.gateway import test_day
from tests.gateway_support import JSON, MSGPACK, Reply, recording

DOC = document(with_metrics=True)
DAY = test_day.test_an_interval_from_orders_to_statement_in_each_encoding
DAYS = [
    (DAY, {"encoding": JSON}),
    (DAY, {"encoding": MSGPACK}),
    (test_day.test_the_coordinator_publishes_a_band_that_orders_and_settlement_then_use, {}),
    (test_day.test_a_stream_delivers_an_early_clearing_and_only_own_fills, {"query": ""}),
    (test_day.test_continuous_trades_reach_the_stream_and_the_trades_of_both_members, {}),
]


def template_of(path: str) -> str:
    """The document's path template that ``path`` (without its query) matches."""
    bare = path.split("?", 1)[0]
    for template in DOC["paths"]:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if re.fullmatch(pattern, bare):
            return template
    raise AssertionError(f"{path} matches no documented path")


def documented_schema(reply: Reply) -> dict[str, Any]:
    operation = DOC["paths"][template_of(reply.path)][reply.method.lower()]
    responses = operation["responses"]
    assert str(reply.status) in responses, (
        f"{reply.method} {reply.path}: {reply.status} undocumented"
    )
    response = responses[str(reply.status)]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        response = DOC["components"]["responses"][name]
    media = reply.headers["Content-Type"].split(";")[0]
    assert media in response["content"], f"{reply.method} {reply.path}: {media} undocumented"
    return response["content"][media]["schema"]


def validate(reply: Reply) -> None:
    schema = {**documented_schema(reply), "components": DOC["components"]}
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(reply.body)


@pytest.mark.parametrize(("day", "arguments"), DAYS, ids=[f"{d.__name__}-{a}" for d, a in DAYS])
def test_every_answer_of_a_day_validates_against_the_documented_schema(
    tmp_path: Path, day: Any, arguments: dict[str, str]
) -> None:
    with recording() as replies:
        day(tmp_path, **arguments)
    assert len(replies) >= 3
    for reply in replies:
        validate(reply)
    assert {r.status for r in replies} & {200, 201}  # answers, not only refusals


def test_an_answer_that_breaks_its_schema_is_caught() -> None:
    """The check above can fail: a price as a number, a missing field, an unknown state."""
    headers = {"Content-Type": JSON}
    good = {"order_id": 1, "replaced_order_id": 2}
    validate(Reply(200, headers, good, "PATCH", "/v1/orders/2"))
    for bad in ({"order_id": 1}, {"order_id": "1", "replaced_order_id": 2}):
        with pytest.raises(ValidationError):
            validate(Reply(200, headers, bad, "PATCH", "/v1/orders/2"))
    level = {"interval_start": "2026-01-01T01:00:00Z", "bids": [{"price": 1.5, "quantity_wh": 1}]}
    with pytest.raises(ValidationError):
        validate(Reply(200, headers, level | {"asks": []}, "GET", "/v1/intervals/1/depth"))
    with pytest.raises(AssertionError, match="undocumented"):
        validate(Reply(418, headers, good, "PATCH", "/v1/orders/2"))


STREAMS = [
    (DAY, {"encoding": JSON}),
    (DAY, {"encoding": MSGPACK}),
    (test_day.test_a_stream_delivers_an_early_clearing_and_only_own_fills, {"query": ""}),
    (test_day.test_continuous_trades_reach_the_stream_and_the_trades_of_both_members, {}),
]


@pytest.mark.parametrize(
    ("day", "arguments"), STREAMS, ids=[f"{d.__name__}-{a}" for d, a in STREAMS]
)
def test_every_stream_message_of_a_day_validates_against_the_documented_messages(
    tmp_path: Path, day: Any, arguments: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[dict] = []
    read = test_day.next_messages

    async def recording_messages(*args: Any, **kwargs: Any) -> list[dict]:
        messages = await read(*args, **kwargs)
        heard.extend(messages)
        return messages

    monkeypatch.setattr(test_day, "next_messages", recording_messages)
    day(tmp_path, **arguments)
    operation = DOC["paths"]["/v1/stream"]["get"]
    schema = {**operation["x-websocket-messages"], "components": DOC["components"]}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    assert {m["type"] for m in heard} >= {"interval", "fill"}
    for message in heard:
        validator.validate(message)
    with pytest.raises(ValidationError):  # the check can fail: a fill without its price
        validator.validate({k: v for k, v in heard[-1].items() if k != "price"} | {"type": "fill"})
