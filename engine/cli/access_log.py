"""The access log of ``klaster serve --access-log``: one record per answered request on the
``klaster.access`` logger, its fields structured for ``--log-format json``.

Fields: ``method``, ``path`` (without the query string), ``route`` (the route template, as
the metrics label it), ``status``, ``duration_s`` [s], ``bytes`` (the body sent), ``remote``
(the peer address) and ``problem`` (the problem type of a refusal). No header and no
member: tokens travel in headers, and who traded is the journal's business, not the log's.
A stream is logged once it ends.
"""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from engine.cli.logs import FIELDS
from engine.gateway.problems import PROBLEM_TYPE

LOGGER = "klaster.access"


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access-log hook, writing structured records (``AppRunner(...,
    access_log_class=AccessLogger, access_log=logging.getLogger(LOGGER))``)."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        match_info = getattr(request, "match_info", None)
        resource = None if match_info is None else match_info.route.resource
        fields = {
            "method": request.method,
            "path": request.path,
            "route": resource.canonical if resource is not None else "unmatched",
            "status": response.status,
            "duration_s": round(time, 6),
            "bytes": response.body_length,
            "remote": request.remote,
        }
        problem = response.get(PROBLEM_TYPE)
        if problem is not None:
            fields["problem"] = problem
        self.logger.info(
            "%s %s %d", request.method, request.path, response.status, extra={FIELDS: fields}
        )


def access_logger() -> logging.Logger:
    """The logger the access records go to."""
    return logging.getLogger(LOGGER)
