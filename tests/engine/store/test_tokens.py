"""The token store: hashes only, lookups, revocation, listing."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.store import tokens
from engine.store.tokens import TOKEN_ID_CHARS, TOKENS_FILE, TokenStore, token_hash
from tests import REPO


def test_an_issued_token_is_32_random_bytes_in_urlsafe_base64_and_maps_to_its_member(
    tmp_path: Path,
) -> None:
    with TokenStore.open(tmp_path) as store:
        token = store.issue("dom-01")
        assert len(base64.urlsafe_b64decode(token + "=")) == 32
        assert store.member_for(token) == "dom-01"
        assert store.member_for(token + "x") is None
        assert store.member_for("") is None
        assert token != store.issue("dom-01")


def as_header(raw: bytes) -> str:
    """Header bytes as aiohttp hands them over: UTF-8, the rest as lone surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def test_any_presented_token_is_a_member_only_if_issued_and_never_an_error(
    tmp_path: Path,
) -> None:
    """Header bytes that are not UTF-8 reach the lookup as lone surrogates; they are an
    unknown token like any other (the gateway answers 401, not 500)."""
    with TokenStore.open(tmp_path) as store:
        token = store.issue("dom-01")

        @settings(max_examples=300, deadline=None)
        @given(presented=st.text() | st.binary().map(as_header))
        def lookup(presented: str) -> None:
            assert store.member_for(presented) == ("dom-01" if presented == token else None)

        lookup()
        assert store.member_for(as_header(b"\xff\xfe")) is None
        assert store.member_for(token + as_header(b"\xff")) is None
        assert store.member_for(token) == "dom-01"


def test_the_file_holds_only_hashes_and_is_readable_by_the_owner_only(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as store:
        token = store.issue("numeron")
    path = tmp_path / TOKENS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as db:
        (stored,) = db.execute("SELECT hash FROM tokens").fetchone()
    assert stored == hashlib.sha256(token.encode()).digest()
    assert token.encode() not in path.read_bytes()


def test_tokens_survive_a_reopen(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as store:
        token = store.issue("oke")
    with TokenStore.open(tmp_path) as store:
        assert store.member_for(token) == "oke"
        assert len(store) == 1


def test_revoking_a_member_revokes_all_its_live_tokens_and_nobody_elses(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as store:
        a1, a2, b = store.issue("dom-01"), store.issue("dom-01"), store.issue("dom-02")
        revoked = store.revoke("dom-01")
        assert {t.token_id for t in revoked} == {a1[:TOKEN_ID_CHARS], a2[:TOKEN_ID_CHARS]}
        assert store.member_for(a1) is None and store.member_for(a2) is None
        assert store.member_for(b) == "dom-02"
        assert store.revoke("dom-01") == []  # already revoked: nothing more to do


def test_revoking_one_token_by_its_id_leaves_the_members_other_tokens_live(
    tmp_path: Path,
) -> None:
    with TokenStore.open(tmp_path) as store:
        old, new = store.issue("dom-01"), store.issue("dom-01")
        (revoked,) = store.revoke("dom-01", old[:TOKEN_ID_CHARS])
        assert revoked.token_id == old[:TOKEN_ID_CHARS] and revoked.revoked
        assert store.member_for(old) is None and store.member_for(new) == "dom-01"
        # a token id of another member's token is not revoked through this member
        other = store.issue("dom-02")
        assert store.revoke("dom-01", other[:TOKEN_ID_CHARS]) == []
        assert store.member_for(other) == "dom-02"


def test_the_list_shows_members_times_and_token_ids_but_no_secret(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as store:
        t1 = store.issue("oke")
        t2 = store.issue("dom-03")
        store.revoke("oke")
        listed = store.list()
        assert [(t.member, t.token_id, t.revoked) for t in listed] == [
            ("oke", t1[:TOKEN_ID_CHARS], True),
            ("dom-03", t2[:TOKEN_ID_CHARS], False),
        ]
        assert listed[0].revoked_us >= listed[0].created_us
        assert [t.member for t in store.list("dom-03")] == ["dom-03"]


def test_a_revocation_by_another_process_takes_effect_on_the_next_lookup(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as server, TokenStore.open(tmp_path) as cli:
        token = cli.issue("dom-05")
        assert server.member_for(token) == "dom-05"
        cli.revoke("dom-05")
        assert server.member_for(token) is None


def test_every_commit_of_another_connection_is_seen_by_the_next_lookup(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as server, TokenStore.open(tmp_path) as cli:
        for round_ in range(40):
            token = cli.issue("dom-05")
            assert server.member_for(token) == "dom-05"
            assert server.member_for(token) == "dom-05"  # cached
            cli.revoke("dom-05")
            assert server.member_for(token) is None
            if round_ % 10 == 9:  # the WAL starts over: the header's salts change
                cli._db.execute("PRAGMA wal_checkpoint(RESTART)")


def test_a_revocation_by_another_process_counts_from_the_next_request(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as server:
        token = server.issue("dom-05")
        assert server.member_for(token) == "dom-05"
        revoke = "import sys; from engine.store.tokens import TokenStore as T; "
        revoke += "T.open(sys.argv[1]).revoke('dom-05')"
        subprocess.run([sys.executable, "-c", revoke, str(tmp_path)], check=True, cwd=REPO)
        assert server.member_for(token) is None


class CountingConnection:
    """A connection that counts the data_version pragmas run through it."""

    def __init__(self, inner: sqlite3.Connection) -> None:
        self.inner = inner
        self.pragmas = 0

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        self.pragmas += sql == "PRAGMA data_version"
        return self.inner.execute(sql, *args)

    def close(self) -> None:
        self.inner.close()


def test_sqlite_is_asked_only_after_the_wal_index_header_moved(tmp_path: Path) -> None:
    with TokenStore.open(tmp_path) as server, TokenStore.open(tmp_path) as cli:
        token = cli.issue("dom-05")
        counting = server._db = CountingConnection(server._db)  # type: ignore[assignment]
        for _ in range(100):
            assert server.member_for(token) == "dom-05"
        assert counting.pragmas == 1
        cli.issue("dom-06")
        assert server.member_for(token) == "dom-05"
        assert counting.pragmas == 2


def test_without_a_mapping_every_lookup_asks_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "_map_wal_index", lambda path: None)
    with TokenStore.open(tmp_path) as server, TokenStore.open(tmp_path) as cli:
        token = cli.issue("dom-05")
        counting = server._db = CountingConnection(server._db)  # type: ignore[assignment]
        assert server.member_for(token) == server.member_for(token) == "dom-05"
        assert counting.pragmas == 2
        cli.revoke("dom-05")
        assert server.member_for(token) is None


class Clock:
    """A settable clock [µs since the epoch] for the store's expiries."""

    def __init__(self, now_us: int) -> None:
        self.now_us = now_us

    def __call__(self) -> int:
        return self.now_us


def test_a_token_with_an_expiry_is_live_until_then_and_says_when_it_expired(
    tmp_path: Path,
) -> None:
    clock = Clock(1_000_000)
    with TokenStore.open(tmp_path, clock) as store:
        token = store.issue("dom-01", expires_us=5_000_000)
        forever = store.issue("dom-01")
        assert store.member_for(token) == "dom-01" and store.expired_at(token) is None
        clock.now_us = 4_999_999
        assert store.member_for(token) == "dom-01"  # cached, and still live
        clock.now_us = 5_000_000
        assert store.member_for(token) is None
        assert store.expired_at(token) == 5_000_000
        assert store.member_for(forever) == "dom-01" and store.expired_at(forever) is None
        assert store.expired_at("not-a-token") is None
        (listed,) = [t for t in store.list() if t.token_id == token[:TOKEN_ID_CHARS]]
        assert listed.expires_us == 5_000_000 and listed.expired(clock.now_us)
        store.revoke("dom-01")
        assert store.expired_at(token) is None  # revoked: not "expired" any more


OLD_SCHEMA = """
CREATE TABLE tokens (
    hash BLOB PRIMARY KEY, token_id TEXT NOT NULL, member TEXT NOT NULL,
    created_us INTEGER NOT NULL, revoked_us INTEGER
) WITHOUT ROWID;
CREATE INDEX tokens_member ON tokens(member);
"""


def test_a_store_of_the_first_schema_is_migrated_and_its_tokens_keep_working(
    tmp_path: Path,
) -> None:
    old, revoked = "o" * 43, "r" * 43
    with sqlite3.connect(tmp_path / TOKENS_FILE) as db:
        db.executescript(OLD_SCHEMA)
        for token, revoked_us in ((old, None), (revoked, 7)):
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?)",
                (hashlib.sha256(token.encode()).digest(), token[:8], "dom-01", 5, revoked_us),
            )
    db.close()
    with TokenStore.open(tmp_path) as store:
        assert store.member_for(old) == "dom-01" and store.member_for(revoked) is None
        assert [(t.expires_us, t.revoked) for t in store.list()] == [(None, False), (None, True)]
        new = store.issue("dom-02", expires_us=2**62)
        assert store.member_for(new) == "dom-02"
    with sqlite3.connect(tmp_path / TOKENS_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == tokens.SCHEMA_VERSION == 1
        columns = [row[1] for row in db.execute("PRAGMA table_info(tokens)")]
        assert columns[-1] == "expires_us"
    db.close()
    with TokenStore.open(tmp_path) as store:  # opening again changes nothing
        assert len(store) == 3 and store.member_for(old) == "dom-01"


def test_a_cached_token_is_not_hashed_again_and_still_refused_once_revoked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []

    def counted(token: str) -> bytes:
        hashed.append(token)
        return token_hash(token)

    with TokenStore.open(tmp_path) as server, TokenStore.open(tmp_path) as cli:
        token, other = cli.issue("dom-05"), cli.issue("dom-06")
        monkeypatch.setattr(tokens, "token_hash", counted)
        for _ in range(5):
            assert server.member_for(token) == "dom-05"
        assert hashed == [token]  # the first lookup only: then the cache answers
        assert server.member_for(token[:-1] + "?") is None  # near misses are looked up
        cli.revoke("dom-05")  # another connection: counts at the next lookup
        assert server.member_for(token) is None
        assert server.member_for(other) == "dom-06"
        server.revoke("dom-06")  # this store's own revocation
        assert server.member_for(other) is None
