"""The public facade (``engine``): every name resolves, and importing it costs nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

import engine


@pytest.mark.parametrize("name", engine.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    assert getattr(engine, name) is not None
    assert name in dir(engine)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        engine.Nothing  # noqa: B018


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_importing_engine_imports_nothing_else_of_it() -> None:
    assert {m for m in _loaded_after("import engine") if m.startswith("engine")} == {"engine"}


def test_the_command_line_starts_without_aiohttp() -> None:
    loaded = _loaded_after("from engine.cli.main import build_parser\nbuild_parser()")
    assert not {m for m in loaded if m.split(".")[0] == "aiohttp"}
