"""``klaster loadtest``'s arguments (the load test itself, and aiohttp, are imported only
when it runs: every other ``klaster`` command starts without them). See :mod:`agents.loadtest.run`.
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from agents.cli_args import integer_at_least, positive_seconds

DEFAULT_TOKENS = "data/demo-tokens.txt"


def loopback_url(text: str) -> str:
    """An argparse type: ``text`` if it is an http(s) URL on a loopback host."""
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port  # .port raises on a bad port
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a URL: {text!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise argparse.ArgumentTypeError(f"expected http://HOST:PORT, was {text!r}")
    if host != "localhost":
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
        if ip is None or not (ip.is_loopback or (mapped is not None and mapped.is_loopback)):
            raise argparse.ArgumentTypeError(
                f"loopback only: {host} is not in 127.0.0.0/8, ::1 or localhost"
            )
    return text.rstrip("/")


def add_command(commands: Any) -> None:
    """Register ``loadtest`` on the ``klaster`` subparsers."""
    cmd = commands.add_parser(
        "loadtest",
        help="put order load on a local gateway and verify what it acknowledged",
        description="N agents submit orders for S seconds to a klaster serve on loopback, "
        "then the server's own-order lists are checked against the acknowledgements.",
    )
    cmd.add_argument("--url", required=True, type=loopback_url, help="http://127.0.0.1:8080")
    cmd.add_argument("--agents", required=True, type=integer_at_least(1), metavar="N")
    cmd.add_argument("--duration", required=True, type=positive_seconds, metavar="S", help="[s]")
    cmd.add_argument("--batch", type=integer_at_least(1), metavar="K", help="K orders per request")
    cmd.add_argument("--tokens", default=DEFAULT_TOKENS, metavar="FILE", help=DEFAULT_TOKENS)
    cmd.add_argument("--config", metavar="CLUSTER.toml", help="the cluster (default: the demo)")
    cmd.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    """Run ``klaster loadtest``; return the exit code."""
    from agents.loadtest import run as loadtest

    return loadtest.run(args)
