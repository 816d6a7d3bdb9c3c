"""What ``klaster serve`` logs, and in which shape: ``--log-format text|json`` and
``--access-log``.

Logs go to stderr (a supervisor, journald or Docker keeps them); stdout keeps the few
lines a person or a script reads at start-up (where the tokens are, the URL). Both formats
carry the same records of the ``klaster.*`` loggers from level INFO: ``text`` one line
``TIME LEVEL LOGGER: MESSAGE key=value ...``, ``json`` one JSON object per line with
``ts`` (ISO 8601, UTC, milliseconds), ``level``, ``logger``, ``message``, the record's
structured fields (``extra={"fields": {...}}``) and ``exc`` (the traceback) if any: a log
shipper indexes those without parsing a message. ``--access-log`` adds one record per
request on ``klaster.access`` (:mod:`engine.cli.access_log`).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")
LOGGER = "klaster"
FIELDS = "fields"  # the ``extra`` key of a record's structured fields


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, FIELDS, None)
    return fields if isinstance(fields, dict) else {}


def _timestamp(record: logging.LogRecord) -> str:
    when = datetime.fromtimestamp(record.created, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER: MESSAGE key=value ...``, then the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        pairs = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        if pairs:
            line = f"{line} {pairs}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def configure(log_format: str, stream: TextIO | None = None) -> None:
    """Send the ``klaster.*`` loggers' records from INFO up to ``stream`` (stderr) in
    ``log_format`` (one of :data:`LOG_FORMATS`); replaces an earlier configuration."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {LOG_FORMATS}, was {log_format!r}")
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False  # a host application's root handlers do not print it twice
