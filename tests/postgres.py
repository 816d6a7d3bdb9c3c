"""A throwaway PostgreSQL server for tests and benchmarks: ``initdb`` and ``pg_ctl`` on a
unix socket in a temporary directory, no TCP port.

PostgreSQL refuses to run as root, so under root (CI here) the server runs as the
``postgres`` user the Debian package creates (else ``nobody``), via ``runuser``; the
directory is given to that user. The binaries: ``initdb`` on PATH, else the newest
``/usr/lib/postgresql/*/bin`` (Debian keeps them there), else ``pg_config --bindir``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "klaster"
START_TIMEOUT_S = 60


def bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are, or None without PostgreSQL."""
    on_path = shutil.which("initdb")
    if on_path is not None:
        return Path(on_path).resolve().parent
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if debian:
        return Path(debian[-1]).parent
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(found) / "initdb").exists():
            return Path(found)
    return None


def _run_as() -> str | None:
    """The user the server runs as when we are root (None: as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no postgres or nobody user to run PostgreSQL as")


@dataclass
class Server:
    """A running throwaway server: connect with :meth:`url`."""

    directory: Path
    bin: Path
    user: str | None

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL of ``dbname`` on the server's socket, as its superuser."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.directory}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        # cwd: a directory the server's user may enter (the checkout may be under /root)
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.directory)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(
                done.returncode, command, done.stdout, done.stderr
            ) from RuntimeError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def throwaway_server(max_connections: int = 60) -> Iterator[Server]:
    """Start a server in a new temporary directory; stop it and remove the directory after.
    Raise FileNotFoundError without the binaries. ``max_connections``: more for a
    benchmark of many clusters (each writer holds a session)."""
    binaries = bindir()
    if binaries is None:
        raise FileNotFoundError("no PostgreSQL binaries (Debian: apt-get install postgresql)")
    user = _run_as()
    # /tmp, short: a unix socket's path must stay under 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="klaster-pg-", dir="/tmp"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    server = Server(directory, binaries, user)
    try:
        server.run(
            "initdb", "-D", str(server.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{directory}'"
            f" -c max_connections={max_connections} -c shared_buffers=64MB"
        )
        server.run(
            "pg_ctl", "-D", str(server.data), "-l", str(directory / "server.log"), "-o",
            options, "-w", "-t", str(START_TIMEOUT_S), "start",
        )  # fmt: skip
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
