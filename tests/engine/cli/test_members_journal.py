"""``klaster members add`` checks a member against the journal's configuration (issue 11):
the configuration in force now or one journaled to come, on a data directory and on
PostgreSQL (``--store``); the config file names the members only where no journal is."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.config.cluster import cluster_from_document
from engine.market.commands import Changed
from engine.market.recovery import open_market
from engine.model.clock import WallClock
from engine.store.place import DataDirStore, PostgresStore, Store
from tests.clusters import small_cluster_toml
from tests.engine.market.test_membership import joined
from tests.postgres import Server


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "engine", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def journal_with_a_joining_member(store: Store) -> None:
    """A journal of the small cluster in which dom-3 joins from the next open interval."""
    document = tomllib.loads(small_cluster_toml())
    node = open_market(store, cluster_from_document(document, "test.toml"), WallClock())
    try:
        changed = node.market.change_cluster("oke", cluster_from_document(joined(document), "t"))
        assert isinstance(changed, Changed)
        node.commit()
    finally:
        node.close()


def config_with_dom_9(tmp_path: Path) -> Path:
    """The small cluster's config file with a member the journal never saw."""
    text = small_cluster_toml() + (
        '\n[[members]]\nid = "dom-9"\nname = "Nine"\nrole = "member"\n'
        '[[members.connection_points]]\nid = "P-9"\nterc = "2417011"\n'
        'dso = "TAURON Dystrybucja"\nmax_import_kw = "12"\nmax_export_kw = "8"\n'
    )
    path = tmp_path / "cluster.toml"
    path.write_text(text, encoding="utf-8")
    return path


def place_options(kind: str, tmp_path: Path, postgres: Server | None) -> list[str]:
    data = tmp_path / "data"
    if kind == "sqlite":
        journal_with_a_joining_member(DataDirStore(data))
        return ["--data", str(data)]
    assert postgres is not None
    url = postgres.create_database(f"members_{tmp_path.name[-20:].replace('-', '_').lower()}")
    journal_with_a_joining_member(PostgresStore(url))
    return ["--data", str(data), "--store", url]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_add_checks_a_member_against_the_journal_not_the_config_file(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("postgres") if kind == "postgresql" else None
    where = place_options(kind, tmp_path, server)
    config = str(config_with_dom_9(tmp_path))
    unknown = klaster("members", "add", "dom-9", "--config", config, *where)
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert "no member 'dom-9' in the configuration in force" in unknown.stderr
    assert "the journal in" in unknown.stderr and "dom-3" in unknown.stderr
    joining = klaster("members", "add", "dom-3", "--config", config, *where)
    assert joining.returncode == 0, joining.stderr  # in the journal, not in the file
    assert len(joining.stdout.strip()) == 43
    listed = klaster("members", "list", "--config", config, "--json", *where)
    assert '"member": "dom-3"' in listed.stdout and "dom-9" not in listed.stdout


def test_add_on_a_data_directory_without_config_reads_the_journals_members(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    journal_with_a_joining_member(DataDirStore(data))
    done = klaster("members", "add", "dom-1", "--data", str(data))  # not a demo member
    assert done.returncode == 0, done.stderr
    assert not (data / "demo-tokens.txt").exists()  # the journal's cluster is not the demo
    refused = klaster("members", "add", "dom-01", "--data", str(data))  # a demo member
    assert refused.returncode == 2 and "no member 'dom-01'" in refused.stderr
