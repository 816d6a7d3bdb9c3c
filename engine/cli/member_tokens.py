"""``klaster members add|list|revoke``: members' API tokens on a data directory.

``klaster members add MEMBER [--expires WHEN] [--data DIR] [--config CLUSTER.toml]`` issues
a token for a member of the cluster and prints it, alone on one line, to stdout: the only
time it is shown (``TOKEN=$(klaster members add dom-01)`` works). The journal is the truth
about the members: where the store holds the cluster's journal (``--data DIR`` or
``--store URL``; the cluster id from ``--config``, default the demo), MEMBER must be a member
of the configuration in force now or of one the journal holds for later (a member joining
next week may get its token today), and ``list`` shows that configuration's members; the
config file names the members only of a store without a journal (or one written before
configurations were journaled).
``--expires`` takes a duration from now (``90d``, ``12h``, ``30m``, ``2w``) or an ISO 8601
instant with an offset (``2026-12-31T23:00:00Z``); the gateway refuses the token from then
on (401 ``token-expired``). A member may hold several live tokens, so a token can be
rotated without downtime.

``klaster members list`` prints one row per token (member, role, token id, created,
expires, revoked, times in UTC) and one row with token id ``-`` for each member of the
cluster without any; ``--json`` prints one JSON object per line instead.

``klaster members revoke MEMBER [--token-id ID]`` revokes all of the member's live tokens, or
only the one whose id (the token's first 8 characters, as listed) is given. A member that
has left the cluster config can still have its tokens revoked.

``add`` creates the data directory and its token store if need be; on a store it creates
for the demo cluster (no ``--config``) it first issues the demo's tokens into
``DIR/demo-tokens.txt``, mode 0600, as the first ``klaster serve`` of the demo does (whose
rule is: issue them when the store holds no token yet). Without that, a token added before
the first start would make the store non-empty, the demo's tokens would never be issued, and
what reads ``demo-tokens.txt`` (``klaster loadtest``, the README's examples) would find
nothing. ``list`` and ``revoke`` only read an existing store: a data directory without one
(a typo in ``--data``) is refused, and nothing is created.

Exit codes: 0 done; 1 nothing to revoke, or the store cannot be reached; 2 bad arguments
(unknown member, invalid config, an expiry that is not a duration or an instant, or is not
in the future, a data directory without a token store for ``list`` or ``revoke``); bad
arguments create nothing.
The default data directory is ``./data``, the same as ``klaster serve``'s. ``--store URL``
keeps the tokens in PostgreSQL, under the cluster's id (``klaster serve --store`` reads
them there); the demo's token file still goes into the data directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from engine.cli.store_option import add_store_option, store_of

if TYPE_CHECKING:  # the config and the token store load when a command runs, not for --help
    from engine.config.cluster import Cluster
    from engine.store.place import Store, Tokens
    from engine.store.tokens import TokenInfo

EXIT_OK, EXIT_NOTHING, EXIT_BAD_INPUT = 0, 1, 2
EXIT_FAILED = 1  # the store (PostgreSQL) cannot be reached
DEFAULT_DATA = "data"
DEMO_TOKENS_FILE = "demo-tokens.txt"  # the demo members' tokens, in the data directory
LISTED = ("member", "role", "token_id", "created", "expires", "revoked")  # columns of list
DURATION = re.compile(r"([0-9]{1,6})([mhdw])")  # --expires 90d: an amount and a unit
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def add_commands(commands: Any) -> None:
    """Register ``members add|list|revoke`` on the ``klaster`` subparsers."""
    members = commands.add_parser(
        "members",
        help="manage members' API tokens",
        description="Issue, list and revoke members' API tokens in DIR/tokens.sqlite "
        "(only their SHA-256 hashes are stored).",
    )
    actions = members.add_subparsers(dest="members_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="issue an API token for a member (shown once)",
        description="Issue a token for MEMBER and print it alone on one line to stdout, the "
        "only time it is shown. On a new data directory of the demo cluster it first issues "
        "the demo's tokens into DIR/demo-tokens.txt, as klaster serve's first start does.",
    )
    add.add_argument("member", metavar="MEMBER", help="a member id of the cluster config")
    add.add_argument(
        "--expires",
        metavar="WHEN",
        help="the token expires: after a duration (90d, 12h, 30m, 2w) or at an ISO 8601 "
        "instant with an offset (default: never)",
    )
    listing = actions.add_parser(
        "list",
        help="list members and their tokens",
        description="List every token (member, role, token id, created, expires, revoked; "
        "no secret) and the members without one. DIR must hold a token store.",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    revoke = actions.add_parser(
        "revoke",
        help="revoke a member's tokens",
        description="Revoke all of MEMBER's live tokens, or only --token-id's; revoked "
        "tokens stay listed. DIR must hold a token store.",
    )
    revoke.add_argument("member", metavar="MEMBER", help="whose tokens to revoke")
    revoke.add_argument(
        "--token-id",
        metavar="ID",
        help="revoke only this token (its id as listed; one that starts with '-' as"
        " --token-id=ID, or it reads as an option)",
    )
    for action in (add, listing, revoke):
        action.add_argument(
            "--data", default=DEFAULT_DATA, metavar="DIR", help="the data directory (./data)"
        )
        action.add_argument(
            "--config", metavar="CLUSTER.toml", help="the cluster config (default: the demo)"
        )
        action.add_argument(
            "--cluster",
            metavar="ID",
            help="a cluster of a server hosting several (klaster serve --clusters DIR): its "
            "tokens are in DIR/clusters/ID (or under ID in --store); its config is --config "
            "or the file of that id in --clusters",
        )
        action.add_argument(
            "--clusters", metavar="DIR", help="the cluster configs of a server hosting several"
        )
        add_store_option(action)


def run(args: argparse.Namespace) -> int:
    """Run ``klaster members ...``; return the exit code."""
    from engine.config.cluster import ClusterError, load_cluster
    from engine.config.demo import demo_cluster
    from engine.store.journal import JournalError
    from engine.store.place import DataDirStore

    try:
        cluster = _cluster_of(args) or (
            demo_cluster() if args.config is None else load_cluster(args.config)
        )
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    place = store_of(args)
    if place is None:
        return EXIT_BAD_INPUT
    if args.cluster is not None:
        place = place.of_cluster(cluster.id)
    try:
        journaled = _journaled(place, cluster)
        if journaled:
            cluster = journaled[0]
        if args.members_command == "add":
            demo = args.config is None and args.cluster is None and not journaled
            demo_tokens = DEMO_TOKENS_FILE if demo else None
            return _add(
                place, Path(args.data), journaled or [cluster], args.member, args.expires,
                demo_tokens,
            )  # fmt: skip
        try:
            store = place.open_tokens(cluster.id, create=False)
        except FileNotFoundError as exc:
            why = _no_store(Path(args.data)) if isinstance(place, DataDirStore) else exc
            print(f"klaster: {why}", file=sys.stderr)
            return EXIT_BAD_INPUT
    except JournalError as exc:  # PostgreSQL cannot be reached
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_FAILED
    with contextlib.closing(store):
        if args.members_command == "list":
            return _list(store, cluster, args.json)
        return _revoke(store, cluster, args.member, args.token_id)


def _cluster_of(args: argparse.Namespace) -> Cluster | None:
    """``--cluster ID``'s config: ``--config`` (of that id) or the file of that id in
    ``--clusters DIR``; None without ``--cluster``. ClusterError if there is none."""
    from engine.cli.serve_many import hosted_clusters
    from engine.config.cluster import ClusterError, load_cluster

    if args.cluster is None:
        if args.clusters is not None:
            raise ClusterError(args.clusters, "", "--clusters needs --cluster ID")
        return None
    if args.clusters is not None:
        found = hosted_clusters(argparse.Namespace(clusters=args.clusters, config=None))
        where = args.clusters
    elif args.config is not None:
        found, where = [load_cluster(args.config)], args.config
    else:
        raise ClusterError("--cluster", "", "give the cluster's --config or --clusters DIR")
    for cluster in found or ():
        if cluster.id == args.cluster:
            return cluster
    raise ClusterError(where, "", f"no cluster of id {args.cluster!r}")


def _no_store(data: Path) -> str:
    """Why ``data`` cannot be listed: no such directory, or no token store in it."""
    from engine.store.tokens import TOKENS_FILE

    where = f"no data directory {data}" if not data.is_dir() else f"no {data / TOKENS_FILE}"
    return f"{where} (klaster serve --data {data} or klaster members add creates it)"


def _journaled(place: Store, cluster: Cluster) -> list[Cluster]:
    """The configurations the store's journal of ``cluster.id`` holds from the one in force
    now on (empty: no journal, or one that holds no configuration)."""
    from engine.cli.cluster import versions_in
    from engine.config.document import cluster_of
    from engine.store.tokens import wall_clock_us

    if place.missing_journal(cluster.id) is not None:
        return []
    journal = place.open_journal(cluster.id, read_only=True)
    try:
        versions = versions_in(journal)
    finally:
        journal.close()
    now_s = wall_clock_us() // 1_000_000
    current = sum(1 for v in versions if v.effective_from_s <= now_s) - 1
    where = f"the journal in {place}"
    return [
        cluster_of(v.config, v.files, f"{where} (event {v.seq})")
        for v in versions[max(current, 0) :]
    ]


def _add(
    place: Store,
    data: Path,
    clusters: list[Cluster],
    member_id: str,
    expires: str | None,
    demo_tokens: str | None,
) -> int:
    """Issue a token for ``member_id`` (a member of one of ``clusters``: the one in force,
    then those to come) in ``place``; on a new store, first the ``demo_tokens`` file's
    (in ``data``)."""
    cluster = clusters[0]
    if all(c.member_by_id(member_id) is None for c in clusters):
        known = ", ".join(dict.fromkeys(m.id for c in clusters for m in c.members))
        print(
            f"klaster: {cluster.source}: no member {member_id!r} in the configuration in force "
            f"(nor in one to come); members are {known}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    from engine.store.tokens import wall_clock_us

    expires_us = None
    if expires is not None:
        try:
            expires_us = expiry_us(expires, wall_clock_us())
        except ValueError as exc:
            print(f"klaster: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    # checked first: bad arguments create nothing
    with contextlib.closing(place.open_tokens(cluster.id)) as store:
        if demo_tokens is not None and len(store) == 0:
            data.mkdir(parents=True, exist_ok=True)  # beside a --store: only for the file
            issue_token_file(cluster, store, data / demo_tokens, sys.stderr)
        token = store.issue(member_id, expires_us)
    print(token)
    until = "" if expires_us is None else f", valid until {_iso(expires_us)}"
    print(
        f"klaster: token {token[:8]}… issued for {member_id}{until}; it is shown only now, "
        "store it safely",
        file=sys.stderr,
    )
    return EXIT_OK


def expiry_us(text: str, now_us: int) -> int:
    """When a token given ``--expires text`` at ``now_us`` expires [µs since the epoch]: a
    duration (``90d``, ``12h``, ``30m``, ``2w``) from now or an ISO 8601 instant with an
    offset; ValueError unless it is one of them and after now."""
    duration = DURATION.fullmatch(text)
    if duration is not None:
        when_us = now_us + int(duration[1]) * UNIT_SECONDS[duration[2]] * 1_000_000
    else:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                "--expires must be a duration (90d, 12h, 30m, 2w) or an ISO 8601 instant "
                f"with an offset (2026-12-31T23:00:00Z), was {text!r:.40}"
            ) from None
        if instant.utcoffset() is None:
            raise ValueError(f"--expires {text} needs an offset (Z or +01:00)")
        when_us = (instant - EPOCH) // timedelta(microseconds=1)
    if when_us <= now_us:
        raise ValueError(f"--expires {text} is not in the future")
    return when_us


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1e6, UTC).isoformat(timespec="seconds")


def _list(store: Tokens, cluster: Cluster, as_json: bool) -> int:
    tokens = store.list()
    roles = {m.id: m.role for m in cluster.members}
    with_tokens = {t.member for t in tokens}
    rows: list[dict[str, Any]] = [_row(t, roles.get(t.member, "(not in config)")) for t in tokens]
    rows += [  # config order: the file's member list
        {"member": m.id, "role": m.role} | dict.fromkeys(LISTED[2:])
        for m in cluster.members
        if m.id not in with_tokens
    ]
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return EXIT_OK
    header = tuple(k.upper() for k in LISTED)
    table = [header] + [tuple(row[k] or "-" for k in LISTED) for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def _row(token: TokenInfo, role: str) -> dict[str, Any]:
    return {
        "member": token.member,
        "role": role,
        "token_id": token.token_id,
        "created": _iso(token.created_us),
        "expires": _iso(token.expires_us),
        "revoked": _iso(token.revoked_us),
    }


def _revoke(store: Tokens, cluster: Cluster, member_id: str, token_id: str | None) -> int:
    if cluster.member_by_id(member_id) is None and not store.list(member_id):
        print(f"klaster: {cluster.source}: no member {member_id!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    revoked = store.revoke(member_id, token_id)
    if not revoked:
        which = f"token {token_id!r}" if token_id else "tokens"
        print(f"klaster: {member_id} has no live {which}; nothing revoked", file=sys.stderr)
        return EXIT_NOTHING
    for token in revoked:
        print(
            json.dumps(
                {
                    "member": token.member,
                    "token_id": token.token_id,
                    "revoked": _iso(token.revoked_us),
                }
            )
        )
    return EXIT_OK


def issue_token_file(cluster: Cluster, tokens: Tokens, path: Path, out: TextIO) -> None:
    """Issue one token per member of ``cluster`` into ``path`` (mode 0600) and print only
    its path and how many to ``out``: a token in a terminal's scrollback or a service's log
    is a token anyone reading them holds."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a stale file from an earlier data directory keeps its mode
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"# member token ({cluster.id}; kept only here)\n")
        for member in cluster.members:
            f.write(f"{member.id} {tokens.issue(member.id)}\n")
    print(f"klaster: {len(cluster.members)} member tokens issued into {path} (mode 0600)", file=out)
    out.flush()
