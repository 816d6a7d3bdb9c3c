"""The two log formats of ``klaster serve`` carry the same record: message, level, logger,
the structured fields and a traceback. (A served process's JSON logs and access log:
tests/deploy/test_stack.py.)"""

from __future__ import annotations

import io
import json
import logging

import pytest

from engine.cli import logs


def log_one(log_format: str) -> str:
    out = io.StringIO()
    logs.configure(log_format, out)
    try:
        try:
            raise OSError("disk full")
        except OSError:
            logging.getLogger("klaster.runtime").error(
                "the journal %s", "failed", exc_info=True, extra={logs.FIELDS: {"seq": 7}}
            )
        logging.getLogger("klaster.runtime").debug("not shown: below INFO")
    finally:
        logging.getLogger(logs.LOGGER).handlers.clear()
    return out.getvalue()


def test_json_logs_are_one_object_a_line_with_the_fields() -> None:
    (line,) = log_one("json").splitlines()
    record = json.loads(line)
    assert record["level"] == "error" and record["logger"] == "klaster.runtime"
    assert record["message"] == "the journal failed" and record["seq"] == 7
    assert record["ts"].endswith("Z") and "OSError: disk full" in record["exc"]


def test_text_logs_say_the_same_in_a_line_and_a_traceback() -> None:
    first, *trace = log_one("text").splitlines()
    assert first.endswith(" ERROR klaster.runtime: the journal failed seq=7")
    assert trace[-1] == "OSError: disk full"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format"):
        logs.configure("xml")
