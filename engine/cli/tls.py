"""TLS for ``klaster serve``: the server's SSL context, and whether an address stays on this
machine.

Bearer tokens and orders cross the network in every request, so anything that leaves the
machine should be HTTPS: ``--tls-cert FILE --tls-key FILE`` (PEM; the certificate file may
hold the chain after the leaf) serve it directly, with TLS 1.2 or later only and Python's
default ciphers. Serving on an address other than loopback without them prints a warning
(a TLS proxy in front is the other way).
"""

from __future__ import annotations

import ipaddress
import os
import ssl


class TlsError(ValueError):
    """The certificate or key cannot be used; the message names the file and why."""


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """An SSL context for a server: TLS >= 1.2, the certificate chain and its key."""
    for path in (cert_file, key_file):
        if not os.path.isfile(path):  # load_cert_chain's error would not name the file
            raise TlsError(f"{path}: no such file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or str(exc)
        raise TlsError(
            f"{cert_file}, {key_file}: not a PEM certificate and its key ({reason})"
        ) from None
    return context


def is_loopback(host: str) -> bool:
    """True if ``host`` is a loopback address or ``localhost`` (nothing else can connect)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name, or "" / "0.0.0.0" style wildcards: reachable from outside
        return False
