"""``klaster members add|list|revoke`` through the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import engine.config
from engine.config.demo import demo_cluster
from engine.store.tokens import TokenStore


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
    text = (Path(engine.config.__file__).parent / "clusters/demo.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('id = "dom-10"', 'id = "dom-99"'), encoding="utf-8")
    done = klaster("members", "add", "dom-99", "--data", str(tmp_path), "--config", str(config))
    assert done.returncode == 0, done.stderr
    done = klaster("members", "add", "dom-10", "--data", str(tmp_path), "--config", str(config))
    assert done.returncode == 2 and "small.toml" in done.stderr


def test_list_shows_every_member_with_its_tokens_and_no_secret(tmp_path: Path) -> None:
    token = klaster("members", "add", "numeron", "--data", str(tmp_path)).stdout.strip()
    rows = listed(tmp_path)
    assert rows[0] == {
        "member": "numeron",
        "role": "member",
        "token_id": token[:8],
        "created": rows[0]["created"],
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
    first = klaster("members", "add", "dom-02", "--data", data).stdout.strip()
    second = klaster("members", "add", "dom-02", "--data", data).stdout.strip()
    done = klaster("members", "revoke", "dom-02", "--token-id", first[:8], "--data", data)
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
