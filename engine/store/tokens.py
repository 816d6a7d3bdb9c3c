"""Members' API tokens, stored only as SHA-256 hashes in ``DATA/tokens.sqlite``.

A token is 32 random bytes from :mod:`secrets`, urlsafe base64 without padding (43
characters). It is returned once by :meth:`TokenStore.issue` and never stored: the table
keeps ``sha256(token)``, the member, when it was issued, when it expires (if it does) and
when it was revoked, and a short token id. A token is live until it is revoked or its
expiry passes; :meth:`TokenStore.member_for` answers only for live tokens, at the moment it
is asked (so a long-lived connection can ask again to learn that its token died).

Why a fast hash and not bcrypt/scrypt/argon2: slow password hashes exist because passwords
have little entropy, so a stolen table can be brute-forced guess by guess. A token has 256
bits of entropy; even at 10^12 SHA-256 per second, finding a preimage takes ~10^57 years, so
slowing each guess buys nothing. A fast, unsalted hash also makes the lookup an indexed
equality query costing microseconds per request (a salted slow hash would need a separate
identifier in the token and milliseconds of CPU per request).

Why no constant-time compare: :meth:`TokenStore.member_for` never compares the presented
token with a stored secret; it hashes it and looks the hash up in a B-tree. Timing can at
most tell an attacker how the hash of *their own guess* relates to stored hashes, which
does not help to find a token whose hash matches (that needs a SHA-256 preimage).

The token id is the token's first 8 characters (48 of its 256 bits): enough for a holder to
recognise their token in ``klaster members list``, while the remaining 208 bits keep it
unguessable. Several live tokens per member are allowed (rotation without downtime: issue
the new one, switch, revoke the old one). Revocation is a timestamp, never a delete, so the
list stays an audit trail.

Schema versions (``PRAGMA user_version``): 0, the first, had no expiry; 1 adds the column
``expires_us``. Opening a store migrates it in one transaction (old tokens never expire).

The file is opened in WAL mode, so ``klaster members revoke`` in another process takes
effect on the next request of a running server: live tokens are cached, and the cache is
dropped as soon as any other connection has committed (see :meth:`TokenStore.member_for`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mmap
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

TOKENS_FILE = "tokens.sqlite"
TOKEN_BYTES = 32
TOKEN_ID_CHARS = 8
WAL_INDEX_HEADER_BYTES = 96
"""Both copies of the wal-index header at the start of ``tokens.sqlite-shm`` (SQLite's WAL
file format, "the WAL-index header")."""

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    hash BLOB PRIMARY KEY,      -- sha256(token)
    token_id TEXT NOT NULL,     -- the token's first 8 characters (not a secret)
    member TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    revoked_us INTEGER,         -- NULL until revoked
    expires_us INTEGER          -- NULL: never expires (since schema version 1)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tokens_member ON tokens(member);
"""
COLUMNS = "token_id, member, created_us, revoked_us, expires_us"  # TokenInfo's fields


def read_token_file(path: str | Path) -> list[tuple[str, str]]:
    """The ``(member, token)`` lines of a plain-text token file as ``klaster serve`` writes
    it (``member token`` per line, ``#`` comments); raises OSError, or ValueError naming
    the line that is not ``member token``."""
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) != 2:
            raise ValueError(f'{path}:{number}: expected "member token"')
        pairs.append((words[0], words[1]))
    return pairs


def token_hash(token: str) -> bytes:
    """Return the SHA-256 of ``token`` (what the store keeps)."""
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """One issued token, without the secret."""

    token_id: str
    member: str
    created_us: int  # [µs since the epoch, UTC]
    revoked_us: int | None
    expires_us: int | None = None  # [µs since the epoch, UTC]; None: never

    @property
    def revoked(self) -> bool:
        return self.revoked_us is not None

    def expired(self, now_us: int) -> bool:
        """True once the expiry has passed (at ``now_us`` [µs since the epoch])."""
        return self.expires_us is not None and now_us >= self.expires_us


def wall_clock_us() -> int:
    """Now [µs since the epoch, UTC]."""
    return time.time_ns() // 1000


class TokenTable:
    """What both token stores share (this one's SQLite and
    :class:`~engine.store.pg_tokens.PgTokenStore`): issuing, looking up with a cache of live
    tokens, revoking and listing, on a DB-API connection. A store gives its statements
    (``_ISSUE`` ... ``_COUNT``, whose first parameters are ``scope``: the cluster id on a
    store of many clusters) and says when its cache is stale (:meth:`_stale`)."""

    _ISSUE: str  # (*scope, hash, token_id, member, created_us, expires_us)
    _LIVE: str  # (*scope, hash) -> (member, expires_us) of a token not revoked
    _REVOKE: str  # (revoked_us, *scope, member), then _AND_TOKEN_ID (token_id); RETURNING
    _AND_TOKEN_ID: str
    _LIST_ALL: str  # (*scope)
    _LIST_MEMBER: str  # (*scope, member)
    _COUNT: str  # (*scope)

    def __init__(self, db: Any, clock: Callable[[], int], scope: tuple[object, ...]) -> None:
        self._db = db
        self._clock = clock  # now [µs since the epoch]: when expiries count
        self._scope = scope
        # token -> (member, expiry [µs] or None), for tokens not revoked
        self._cache: dict[str, tuple[str, int | None]] = {}
        self._caching = True  # False: every lookup asks the database

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def issue(self, member_id: str, expires_us: int | None = None) -> str:
        """Create a token for ``member_id``, live until ``expires_us`` [µs since the epoch]
        (None: until revoked), and return it (the only time it is visible)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        created_us = self._clock()
        self._db.execute(
            self._ISSUE,
            (*self._scope, token_hash(token), token[:TOKEN_ID_CHARS], member_id, created_us)
            + (expires_us,),
        )
        return token

    def member_for(self, token: str) -> str | None:
        """Return the member of ``token`` if it is live now, None for an unknown, revoked
        or expired one: the "is this token still valid now" check, also for connections
        that outlive a request (ask again; it costs a dictionary lookup while nothing
        changed).

        Live tokens are cached by their text, so that a request with a known token costs
        no hash (in the memory of the process that is handed the token anyway; the file
        keeps hashes only); unknown tokens are not (a client must not be able to grow the
        cache). The cache is dropped once another connection has committed a change
        (:meth:`_stale`), so a revocation counts from the next request.

        A token is ASCII (urlsafe base64); anything else, such as the bytes of a header that
        aiohttp decoded with ``surrogateescape``, is unknown (not an encoding error)."""
        if self._stale():
            self._cache.clear()
        known = self._cache.get(token)
        if known is None:
            if not token.isascii():
                return None
            row = self._db.execute(self._LIVE, (*self._scope, token_hash(token))).fetchone()
            if row is None:
                return None
            known = (row[0], row[1])
            if self._caching:
                self._cache[token] = known
        member, expires_us = known
        if expires_us is not None and self._clock() >= expires_us:
            return None
        return member

    def expired_at(self, token: str) -> int | None:
        """When ``token`` expired [µs since the epoch] if it is known, not revoked and past
        its expiry now; None otherwise (live, unknown or revoked). For telling a client why
        a token it sent was refused: only its holder can ask about it."""
        if not token.isascii():  # no token is (see member_for)
            return None
        row = self._db.execute(self._LIVE, (*self._scope, token_hash(token))).fetchone()
        if row is None or row[1] is None or self._clock() < row[1]:
            return None
        return row[1]

    def revoke(self, member_id: str, token_id: str | None = None) -> list[TokenInfo]:
        """Revoke the member's live tokens (only the one with ``token_id`` if given);
        return what was revoked (empty if nothing matched)."""
        self._cache.clear()  # our own commits may not tell _stale
        query = self._REVOKE
        params: tuple[object, ...] = (self._clock(), *self._scope, member_id)
        if token_id is not None:
            query += self._AND_TOKEN_ID
            params += (token_id,)
        rows = self._db.execute(f"{query} RETURNING {COLUMNS}", params).fetchall()
        return sorted((TokenInfo(*row) for row in rows), key=lambda t: (t.created_us, t.token_id))

    def list(self, member_id: str | None = None) -> list[TokenInfo]:
        """Every token ever issued (or the member's), oldest first."""
        if member_id is None:
            rows = self._db.execute(self._LIST_ALL, self._scope).fetchall()
        else:
            rows = self._db.execute(self._LIST_MEMBER, (*self._scope, member_id)).fetchall()
        return [TokenInfo(*row) for row in rows]

    def __len__(self) -> int:
        return self._db.execute(self._COUNT, self._scope).fetchone()[0]

    def _stale(self) -> bool:
        """True if another connection may have changed the tokens since last asked."""
        raise NotImplementedError


_ORDER = " ORDER BY created_us, token_id"


class TokenStore(TokenTable):
    """The token table of a data directory; satisfies the gateway's ``TokenLookup``."""

    _ISSUE = (
        "INSERT INTO tokens (hash, token_id, member, created_us, expires_us) VALUES (?, ?, ?, ?, ?)"
    )
    _LIVE = "SELECT member, expires_us FROM tokens WHERE hash = ? AND revoked_us IS NULL"
    _REVOKE = "UPDATE tokens SET revoked_us = ? WHERE member = ? AND revoked_us IS NULL"
    _AND_TOKEN_ID = " AND token_id = ?"
    _LIST_ALL = f"SELECT {COLUMNS} FROM tokens" + _ORDER
    _LIST_MEMBER = f"SELECT {COLUMNS} FROM tokens WHERE member = ?" + _ORDER
    _COUNT = "SELECT count(*) FROM tokens"

    def __init__(
        self, db: sqlite3.Connection, path: Path, clock: Callable[[], int] = wall_clock_us
    ) -> None:
        super().__init__(db, clock, ())
        self.path = path
        self._cache_version = -1
        self._shm: mmap.mmap | None = None  # the wal-index, mapped read-only
        self._shm_header = b""  # its header when the cache was last checked
        self._shm_tried = False

    @classmethod
    def open(
        cls, data_dir: str | Path, clock: Callable[[], int] = wall_clock_us, *, create: bool = True
    ) -> TokenStore:
        """Open (or create, readable by the owner only) ``DATA/tokens.sqlite``, migrated to
        :data:`SCHEMA_VERSION`; ``clock`` gives now [µs since the epoch] for expiries.
        ``create=False``: raise FileNotFoundError, creating nothing, if there is no store
        (a reader must not leave a directory behind for a mistyped path)."""
        directory = Path(data_dir)
        path = directory / TOKENS_FILE
        if not create and not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "no token store", str(path))
        directory.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # create it 0600 before SQLite opens it with the umask
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        # Autocommit mode: every write below is one statement, so one implicit transaction.
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=5000")  # wait for another process's short write
        db.executescript(_SCHEMA)
        _migrate(db)
        return cls(db, path, clock)

    def close(self) -> None:
        if self._shm is not None:
            self._shm.close()
            self._shm = None
        self._db.close()

    def _stale(self) -> bool:
        """True once another connection committed (``klaster members revoke`` in another
        process). SQLite tells that by ``PRAGMA data_version``, which moves exactly when the
        wal-index header in the ``-shm`` file changed (every commit rewrites it before it
        returns). Reading that header from a read-only mapping costs no system call and
        keeps the GIL, where the pragma is a statement with a GIL release per request; so
        the pragma runs only when the header changed (or no mapping could be made)."""
        header = self._wal_index_header()
        stale = False
        if header is None or header != self._shm_header:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._cache_version:
                stale = True
                self._cache_version = version
            if header is not None:
                self._shm_header = header  # read before the pragma: no commit is missed
        return stale

    def _wal_index_header(self) -> bytes | None:
        """The wal-index header's bytes now, None without a mapping of the ``-shm`` file."""
        if self._shm is None:
            if self._shm_tried:
                return None
            self._shm_tried = True
            self._shm = _map_wal_index(Path(f"{self.path}-shm"))
            if self._shm is None:
                return None
        return self._shm[:WAL_INDEX_HEADER_BYTES]


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a store of an older schema to :data:`SCHEMA_VERSION` in one transaction (a
    concurrent opener waits for it, then finds nothing left to do)."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(tokens)")}
        if "expires_us" not in columns:  # version 0 -> 1
            db.execute("ALTER TABLE tokens ADD COLUMN expires_us INTEGER")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _map_wal_index(path: Path) -> mmap.mmap | None:
    """Map the start of a WAL database's ``-shm`` file read-only; None if there is none yet
    (or it is too short to hold the header: SQLite has not initialised it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_size < WAL_INDEX_HEADER_BYTES:
            return None
        with contextlib.suppress(OSError, ValueError):
            return mmap.mmap(fd, WAL_INDEX_HEADER_BYTES, mmap.MAP_SHARED, mmap.PROT_READ)
        return None
    finally:
        os.close(fd)
