"""The simulation's packages are an extra (``pip install 'klaster[sim]'``): a server install
runs without them, and the commands that need them say so instead of a traceback."""

from __future__ import annotations

#: Top-level modules of the ``sim`` extra (``pyproject.toml``), imported by the device
#: models (pvlib, demandlib, pandas, holidays) and the report's plots (matplotlib).
SIM_MODULES = frozenset({"pvlib", "demandlib", "pandas", "holidays", "matplotlib"})


def missing_extra(exc: ModuleNotFoundError, command: str) -> str | None:
    """The message for ``command`` when ``exc`` is a missing module of the ``sim`` extra;
    None when it is about another module (a bug to show as it is)."""
    module = (exc.name or "").partition(".")[0]
    if module not in SIM_MODULES:
        return None
    return (
        f"{command} needs the simulation packages, and {module} is not installed: "
        "pip install 'klaster[sim]' (from a checkout: pip install -e '.[sim]')"
    )
