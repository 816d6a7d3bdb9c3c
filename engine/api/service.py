"""The service around the market: its clock, its probes, and problem details (RFC 9457)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from engine.api.values import Count, Instant, InstantIn

PROBLEM_BASE = "https://klaster.invalid/problems/"


class Clock(Struct, frozen=True):
    """The market's time, and whether it is simulated (``klaster serve --scenario``)."""

    now: Instant
    simulated: bool


class ClockChange(Struct, frozen=True, forbid_unknown_fields=True):
    """Move a simulated clock forward to ``now`` (never back)."""

    now: InstantIn


class JournalHead(Struct, frozen=True):
    """The head of the market's journal: the last durable event's seq and its hash in the
    journal's hash chain. Published, it lets anyone tell later whether the journal was cut
    short or rewritten (``klaster audit head`` prints the same)."""

    seq: Count
    hash: Annotated[
        str,
        Meta(pattern="^[0-9a-f]{64}$", description="SHA-256 of the chain at ``seq``, hex"),
    ]


class Audit(Struct, frozen=True):
    """The last check of the journal's hash chain and checkpoint: the one ``klaster serve``
    made as it started (a journal failing it is not served), or the last ``POST
    /v1/audit``. ``journal`` is the head the check verified (``events`` events); when not
    ``ok``, the verified prefix ends before ``first_bad_seq`` and ``problem`` says why."""

    checked_at: Instant
    ok: bool
    events: Count
    journal: JournalHead
    first_bad_seq: Count | None
    problem: str | None


class Health(Struct, frozen=True):
    """``journal``: the durable head of the market's journal on a server of one cluster;
    ``clusters``: each hosted cluster's, by id (a server of several gives only these)."""

    status: Literal["ok", "ready"]
    journal: JournalHead | UnsetType = UNSET
    clusters: dict[str, JournalHead] | UnsetType = UNSET


class HostedCluster(Struct, frozen=True):
    """A cluster this server hosts: its id (the ``{cluster_id}`` of its paths), its name
    and the base path of its API."""

    id: Annotated[str, Meta(pattern="^[a-z0-9-]{1,40}$")]
    name: str
    api: str


class Clusters(Struct, frozen=True):
    """What ``GET /v1/clusters`` answers without a token: the clusters this server hosts,
    in id order. Each is its own market; a member's token opens only its own."""

    clusters: list[HostedCluster]


class ApiIndex(Struct, frozen=True):
    """What ``GET /`` answers without a token: where the API and its document are."""

    api: str
    openapi: str
    health: str
    ready: str
    me: str


class RowError(Struct, frozen=True):
    """Why one row of a batch was refused: ``code`` is a problem type's last segment."""

    row: int | None
    field: str
    code: str
    detail: str


class Problem(Struct, frozen=True, omit_defaults=True):
    """Problem details (RFC 9457), always ``application/problem+json``: ``type`` is a URI
    under ``https://klaster.invalid/problems/``; ``field`` names the field at fault; a
    refused batch lists its bad rows in ``errors`` (perhaps cut short) and counts them in
    ``bad_rows``."""

    type: Annotated[str, Meta(extra_json_schema={"format": "uri"})]
    title: str
    status: Annotated[int, Meta(ge=400, le=599)]
    detail: str
    field: str | UnsetType = UNSET
    errors: list[RowError] | UnsetType = UNSET
    bad_rows: Count | UnsetType = UNSET
