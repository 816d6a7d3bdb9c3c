"""``klaster serve``'s logs: ``--log-format json`` and ``--access-log``.

By default nothing changes: the engine's warnings and errors reach stderr as Python prints
them without configuration, and the command's own lines (serving, stopped, failures) are
printed as they always were. ``--log-format json`` sends every record of the ``klaster.*``
loggers from INFO up to stderr as one JSON object a line: ``ts`` (RFC 3339 UTC with
microseconds), ``level``, ``logger``, ``message``, the exception's text as ``error`` if
any, and the record's structured ``fields`` (a dict passed as ``extra={"fields": ...}``)
merged in. ``--access-log`` logs one record per HTTP request on ``klaster.access`` with the
fields ``method``, ``path`` (no query string), ``status``, ``bytes``, ``duration_s`` [s]
and ``remote``; in the text format as one line, ``REMOTE "METHOD PATH" STATUS BYTES
DURATION_S``. No header is logged, so no token ever reaches a log.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

FORMATS = ("text", "json")
ACCESS = "klaster.access"


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds")
        out: dict[str, Any] = {
            "ts": ts.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out |= {k: v for k, v in fields.items() if k not in out}
        return json.dumps(out, default=str, ensure_ascii=False)


def access_record(
    logger: logging.Logger, request: Any, status: int, size: int, time: float
) -> None:
    """Log one request on ``logger``: its line and its fields (``time`` [s])."""
    fields = {
        "method": request.method,
        "path": request.path,
        "status": status,
        "bytes": size,
        "duration_s": round(time, 6),
        "remote": request.remote,
    }
    logger.info(
        '%s "%s %s" %s %s %.6f',
        request.remote,
        request.method,
        request.path,
        status,
        size,
        time,
        extra={"fields": fields},
    )


def configure(log_format: str, access_log: bool, stream: TextIO | None = None) -> None:
    """Set up the ``klaster`` loggers for ``log_format`` (``text`` or ``json``) and the
    access log; ``text`` without the access log changes nothing."""
    stream = stream or sys.stderr
    klaster = logging.getLogger("klaster")
    access = logging.getLogger(ACCESS)
    if log_format == "json":
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        klaster.addHandler(handler)
        klaster.setLevel(logging.INFO)
        klaster.propagate = False
    elif access_log:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False


def runner_options(access_log: bool) -> dict[str, Any]:
    """The ``AppRunner`` keywords for the access log (none: aiohttp's is switched off)."""
    if not access_log:
        return {"access_log": None}
    from aiohttp.abc import AbstractAccessLogger  # aiohttp only for the commands that serve

    class AccessLogger(AbstractAccessLogger):
        """aiohttp's access logger, one structured record per request."""

        def log(self, request: Any, response: Any, time: float) -> None:
            access_record(self.logger, request, response.status, response.body_length, time)

    return {"access_log": logging.getLogger(ACCESS), "access_log_class": AccessLogger}
