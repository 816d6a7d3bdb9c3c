"""Commands and ``serve`` sources that other packages register through entry points."""

from __future__ import annotations

import argparse
import json
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from engine.cli import main as cli_main
from engine.cli import plugins, serve
from engine.cli.plugins import COMMANDS_GROUP, SERVE_SOURCES_GROUP, ServedCluster, ServeSource
from engine.config.cluster import ClusterError
from engine.config.demo import demo_cluster
from engine.model.clock import SimulatedClock
from tests.engine.cli.test_audit import a_day_of_trading


class Hello:
    """A command that another package adds: ``klaster hello [--name NAME]``."""

    @staticmethod
    def add_command(commands) -> None:
        commands.add_parser("hello").add_argument("--name", default="world")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        print(f"hello {args.name}")
        return 7


def _demo_on_a_simulated_clock(value: str) -> ServedCluster:
    if value == "bad":
        raise ClusterError(value, "", "not a thing to serve")
    return ServedCluster(demo_cluster(), SimulatedClock(0), f"{value}-tokens.txt")


DEMO_SOURCE = ServeSource(
    "THING", "serve the demo on a simulated clock", _demo_on_a_simulated_clock
)
HERE = __name__


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        EntryPoint("hello", f"{HERE}:Hello", COMMANDS_GROUP),
        EntryPoint("broken", f"{HERE}:NoSuchThing", COMMANDS_GROUP),
        EntryPoint("clear", f"{HERE}:Hello", COMMANDS_GROUP),  # taken by a built-in
        EntryPoint("thing", f"{HERE}:DEMO_SOURCE", SERVE_SOURCES_GROUP),
        EntryPoint("hello", f"{HERE}:Hello", SERVE_SOURCES_GROUP),  # not a ServeSource
    ]
    monkeypatch.setattr(
        plugins, "entry_points", lambda group: [p for p in points if p.group == group]
    )


def test_a_registered_command_runs(registered, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["hello", "--name", "klaster"]) == 7
    out, err = capsys.readouterr()
    assert out == "hello klaster\n"
    assert "ignoring klaster.commands entry point 'broken'" in err
    assert "ignoring plugin command 'clear': the name is taken" in err


def test_a_plugin_cannot_replace_a_built_in_command(registered, tmp_path: Path) -> None:
    assert cli_main.main(["clear", str(tmp_path / "missing.csv")]) == 2


def test_a_registered_source_is_a_serve_option(registered) -> None:
    args = cli_main.build_parser().parse_args(["serve", "--thing", "x", "--port", "0"])
    served = serve._served(args)
    assert served.cluster.id == demo_cluster().id
    assert served.clock is not None and served.tokens_file == "x-tokens.txt"


def test_a_source_and_config_exclude_each_other(registered, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli_main.build_parser().parse_args(["serve", "--thing", "x", "--config", "c.toml"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_source_that_refuses_its_value_exits_2(registered, capsys) -> None:
    assert cli_main.main(["serve", "--thing", "bad", "--port", "0"]) == 2
    assert "bad: not a thing to serve" in capsys.readouterr().err


def test_without_a_source_serve_serves_the_demo_and_its_tokens(registered) -> None:
    served = serve._served(cli_main.build_parser().parse_args(["serve"]))
    assert served.clock is None and served.tokens_file == serve.DEMO_TOKENS_FILE


def test_replay_takes_the_cluster_from_a_registered_source(
    registered, tmp_path: Path, capsys
) -> None:
    a_day_of_trading(tmp_path)  # on the demo cluster, the source's cluster here
    assert cli_main.main(["replay", "--data", str(tmp_path), "--thing", "x"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["gate_closures_reproduced"] == 1
    assert err.count("ignoring serve source 'hello'") == 1  # read once for serve and replay


def test_a_source_that_refuses_its_value_to_replay_exits_2(registered, tmp_path: Path, capsys):
    a_day_of_trading(tmp_path)
    assert cli_main.main(["replay", "--data", str(tmp_path), "--thing", "bad"]) == 2
    assert capsys.readouterr().err.endswith("bad: not a thing to serve\n")


@pytest.mark.parametrize("command", ["serve", "replay"])
def test_a_source_file_given_as_a_config_is_refused_naming_the_option(
    registered, tmp_path: Path, capsys, command: str
) -> None:
    a_day_of_trading(tmp_path)
    thing = tmp_path / "thing.toml"
    thing.write_text("[thing]\n")
    args = [command, "--data", str(tmp_path), "--config", str(thing)]
    assert cli_main.main([*args, "--port", "0"] if command == "serve" else args) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        f'{thing}: unknown key "thing" (did you mean "sharing"?); expected one of cluster, '
        "prices, members, register, tariffs, settlement, sharing (it is a --thing file: use "
        f"--thing {thing})"
    )


def test_a_bad_config_that_no_source_reads_is_refused_without_a_hint(
    tmp_path: Path, capsys
) -> None:
    a_day_of_trading(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[cluster]\nid = 'X'\n")  # neither a cluster config nor a scenario
    assert cli_main.main(["replay", "--data", str(tmp_path), "--config", str(bad)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{bad}: ") and "--scenario" not in line


def test_the_agents_commands_are_registered_in_this_install() -> None:
    commands = {name for name, _ in plugins.loaded(COMMANDS_GROUP)}
    sources = {name for name, _ in plugins.loaded(SERVE_SOURCES_GROUP)}
    assert {"simulate", "loadtest"} <= commands and "scenario" in sources


@pytest.mark.parametrize("group", [COMMANDS_GROUP, SERVE_SOURCES_GROUP, "console_scripts"])
def test_entry_points_are_read_as_importlib_metadata_reads_them(group: str) -> None:
    from importlib.metadata import entry_points

    ours = sorted((point.name, point.value) for point in plugins.entry_points(group))
    theirs = sorted((point.name, point.value) for point in entry_points(group=group))
    assert ours == theirs and ours  # every group has entry points in this install


def test_an_entry_point_loads_a_dotted_attribute_and_ignores_extras() -> None:
    point = plugins.EntryPoint("x", "engine.cli.plugins:EntryPoint.load [fast]", "g")
    assert point.load() is plugins.EntryPoint.load
    assert plugins.EntryPoint("y", "engine.cli.plugins", "g").load() is plugins


def test_a_metadata_directory_on_the_path_registers_its_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = tmp_path / "Some.Plugin-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text(
        "# a comment\n[klaster.commands]\nhello = tests.engine.cli.test_plugins:Hello\n"
        "\n[other]\nhello = nothing:here\n",
        encoding="utf-8",
    )
    shadowed = tmp_path / "later"  # the same distribution again, later on the path
    (shadowed / "some_plugin-2.0.dist-info").mkdir(parents=True)
    (shadowed / "some_plugin-2.0.dist-info" / "entry_points.txt").write_text(
        "[klaster.commands]\nshadowed = x:y\n", encoding="utf-8"
    )
    monkeypatch.setattr("sys.path", [str(tmp_path), str(shadowed), str(tmp_path / "missing")])
    assert plugins.entry_points(COMMANDS_GROUP) == [
        plugins.EntryPoint("hello", "tests.engine.cli.test_plugins:Hello", COMMANDS_GROUP)
    ]
