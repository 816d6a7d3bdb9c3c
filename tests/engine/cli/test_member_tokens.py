"""``klaster members add|list|revoke`` through the command line: tokens shown once, listed
without secrets, revoked; a data directory without a store refused, not created; the demo's
tokens issued with the first token of a new demo store, as ``klaster serve`` would."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import engine.config
from engine.cli.main import main
from engine.cli.member_tokens import expiry_us
from engine.config.demo import demo_cluster
from engine.store.tokens import TokenStore, read_token_file
from tests.serving import start_server, wait_ready

# The demo cluster read as a config file: the same members, but `members add` issues no demo
# tokens file on a new store (only the built-in demo does), so the store holds what a test adds.
DEMO_CONFIG = str(Path(engine.config.__file__).parent / "clusters/demo.toml")


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )


def listed(data: Path) -> list[dict]:
    done = klaster("members", "list", "--data", str(data), "--json")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_add_prints_a_working_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    done = klaster("members", "add", "dom-01", "--data", str(tmp_path))
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert len(token) == 43 and "\n" not in token
    assert "shown only now" in done.stderr and token not in done.stderr
    with TokenStore.open(tmp_path) as store:
        assert store.member_for(token) == "dom-01"
    assert token.encode() not in (tmp_path / "tokens.sqlite").read_bytes()


def test_add_refuses_a_member_that_is_not_in_the_cluster(tmp_path: Path) -> None:
    done = klaster("members", "add", "dom-99", "--data", str(tmp_path))
    assert done.returncode == 2
    assert "no member 'dom-99'" in done.stderr and "dom-01" in done.stderr
    assert done.stdout == ""


def test_add_checks_membership_against_the_given_config(tmp_path: Path) -> None:
    config = tmp_path / "small.toml"
    text = Path(DEMO_CONFIG).read_text(encoding="utf-8")
    config.write_text(text.replace('id = "dom-10"', 'id = "dom-99"'), encoding="utf-8")
    done = klaster("members", "add", "dom-99", "--data", str(tmp_path), "--config", str(config))
    assert done.returncode == 0, done.stderr
    done = klaster("members", "add", "dom-10", "--data", str(tmp_path), "--config", str(config))
    assert done.returncode == 2 and "small.toml" in done.stderr


def test_list_shows_every_member_with_its_tokens_and_no_secret(tmp_path: Path) -> None:
    add = ("members", "add", "numeron", "--data", str(tmp_path), "--config", DEMO_CONFIG)
    token = klaster(*add).stdout.strip()
    rows = listed(tmp_path)
    assert rows[0] == {
        "member": "numeron",
        "role": "member",
        "token_id": token[:8],
        "created": rows[0]["created"],
        "expires": None,
        "revoked": None,
    }
    assert rows[0]["created"].endswith("+00:00")
    assert [r["member"] for r in rows[1:]] == [
        m.id for m in demo_cluster().members if m.id != "numeron"
    ]
    text = klaster("members", "list", "--data", str(tmp_path)).stdout
    assert text.startswith("MEMBER") and token[:8] in text and token not in text


def test_revoke_by_member_or_by_token_id(tmp_path: Path) -> None:
    data = str(tmp_path)
    add = ("members", "add", "dom-02", "--data", data, "--config", DEMO_CONFIG)
    first = klaster(*add).stdout.strip()
    second = klaster(*add).stdout.strip()
    done = klaster("members", "revoke", "dom-02", f"--token-id={first[:8]}", "--data", data)
    assert done.returncode == 0 and json.loads(done.stdout)["token_id"] == first[:8]
    with TokenStore.open(tmp_path) as store:
        assert store.member_for(first) is None and store.member_for(second) == "dom-02"
    done = klaster("members", "revoke", "dom-02", "--data", data)
    assert done.returncode == 0 and json.loads(done.stdout)["token_id"] == second[:8]
    done = klaster("members", "revoke", "dom-02", "--data", data)
    assert done.returncode == 1 and "nothing revoked" in done.stderr
    assert klaster("members", "revoke", "nobody", "--data", data).returncode == 2
    revoked = [r for r in listed(tmp_path) if r["member"] == "dom-02"]
    assert len(revoked) == 2 and all(r["revoked"] for r in revoked)


def test_a_token_id_that_starts_with_a_dash_is_revoked_with_the_equals_form(
    tmp_path: Path,
) -> None:
    # Ids are the token's first characters (urlsafe base64): one in 64 starts with "-",
    # which argparse would read as an option after a separate "--token-id".
    with TokenStore.open(tmp_path) as store:
        tokens = [store.issue("dom-02") for _ in range(2000)]
    dashed = next(t for t in tokens if t.startswith("-"))
    done = klaster(
        "members", "revoke", "dom-02", f"--token-id={dashed[:8]}", "--data", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["token_id"] == dashed[:8]
    with TokenStore.open(tmp_path) as store:
        assert store.member_for(dashed) is None
        assert all(store.member_for(t) == "dom-02" for t in tokens if t != dashed)


def test_add_with_an_expiry_lists_it_and_the_token_dies_then(tmp_path: Path) -> None:
    before = time.time()
    done = klaster("members", "add", "dom-03", "--expires", "90d", "--data", str(tmp_path))
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert "valid until" in done.stderr and token not in done.stderr
    (row,) = [r for r in listed(tmp_path) if r["token_id"] == token[:8]]
    expires = datetime.fromisoformat(row["expires"]).timestamp()
    assert before + 90 * 86_400 - 1 <= expires <= time.time() + 90 * 86_400
    text = klaster("members", "list", "--data", str(tmp_path)).stdout
    assert "EXPIRES" in text.splitlines()[0] and row["expires"] in text
    with TokenStore.open(tmp_path) as store:
        assert store.member_for(token) == "dom-03"
    with TokenStore.open(tmp_path, clock=lambda: int(expires + 1) * 1_000_000) as store:
        assert store.member_for(token) is None


@pytest.mark.parametrize(
    ("text", "expected_s"),
    [
        ("90d", 90 * 86_400),
        ("12h", 12 * 3_600),
        ("30m", 1_800),
        ("2w", 14 * 86_400),
        ("2026-01-02T00:00:00Z", 86_400),
        ("2026-01-01T02:00:00+01:00", 3_600),
    ],
)
def test_an_expiry_is_a_duration_from_now_or_an_instant(text: str, expected_s: int) -> None:
    now_us = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    assert expiry_us(text, now_us) == now_us + expected_s * 1_000_000


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("soon", "must be a duration"),
        ("90", "must be a duration"),
        ("-1d", "must be a duration"),
        ("0d", "not in the future"),
        ("2020-01-01T00:00:00Z", "not in the future"),
        ("2030-01-01T00:00:00", "needs an offset"),
    ],
)
def test_a_bad_expiry_is_refused_with_exit_code_2_and_issues_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    code = main(["members", "add", "dom-01", f"--expires={text}", "--data", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and says in err and out == ""
    with TokenStore.open(tmp_path) as store:
        assert len(store) == 0


@pytest.mark.parametrize("action", [("list",), ("revoke", "dom-01")])
def test_list_and_revoke_refuse_a_missing_data_directory_and_create_nothing(
    tmp_path: Path, action: tuple[str, ...]
) -> None:
    missing = tmp_path / "dat"  # a typo of "data"
    done = klaster("members", *action, "--data", str(missing))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"klaster: no data directory {missing} (klaster serve --data {missing} or klaster "
        "members add creates it)\n"
    )
    assert not missing.exists()


def test_list_refuses_a_directory_without_a_token_store_and_leaves_it_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["members", "list", "--data", str(tmp_path)]) == 2
    assert f"no {tmp_path / 'tokens.sqlite'}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_add_before_the_first_serve_issues_the_demo_tokens_that_serve_then_names(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    done = klaster("members", "add", "dom-01", "--data", str(data))
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    demo_tokens = data / "demo-tokens.txt"
    assert f"{len(demo_cluster().members)} member tokens issued into {demo_tokens}" in done.stderr
    assert stat.S_IMODE(demo_tokens.stat().st_mode) == 0o600
    issued = dict(read_token_file(demo_tokens))
    assert list(issued) == [m.id for m in demo_cluster().members]
    assert token not in issued.values() and not [t for t in issued.values() if t in done.stderr]
    with TokenStore.open(data) as store:
        assert all(store.member_for(t) == m for m, t in issued.items())
        assert store.member_for(token) == "dom-01" and len(store) == len(issued) + 1
    again = klaster("members", "add", "dom-02", "--data", str(data))
    assert again.returncode == 0 and "member tokens issued" not in again.stderr
    assert dict(read_token_file(demo_tokens)) == issued  # issued once, like serve's

    server = start_server(data)  # the first start finds the file and issues nothing
    try:
        assert not server.issued and server.tokens == issued
        wait_ready(server)
        assert server.request("GET", "/v1/orders", issued["dom-03"])[0] == 200
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()


def test_add_with_a_config_or_a_bad_member_writes_no_demo_tokens(tmp_path: Path) -> None:
    done = klaster("members", "add", "dom-99", "--data", str(tmp_path / "bad"))
    assert done.returncode == 2 and not (tmp_path / "bad").exists()
    data = tmp_path / "data"
    done = klaster("members", "add", "dom-01", "--data", str(data), "--config", DEMO_CONFIG)
    assert done.returncode == 0 and sorted(p.name for p in data.iterdir()) == ["tokens.sqlite"]


@pytest.mark.slow
def test_serve_on_a_store_with_tokens_but_no_demo_tokens_file_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with TokenStore.open(data) as store:  # as `members add` of an older klaster left it
        store.issue("dom-01")
    server = start_server(data)
    try:
        said = "".join(server.lines)
        assert f"no member tokens issued: {data / 'tokens.sqlite'} already holds some" in said
        assert not (data / "demo-tokens.txt").exists() and server.tokens == {}
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()
