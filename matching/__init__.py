"""The clearing core: pure double-auction kernels over integer numpy columns.

Public API: :func:`make_book` builds a validated :class:`Book`; :func:`clear` clears it with
one of :data:`MECHANISMS` and returns a :class:`ClearingResult`; :func:`warm_up` compiles (or
loads from cache) every kernel so that the first real clearing pays no compile cost. The exact
rules are in ``matching/SPEC.md``; ``matching.reference`` implements them in plain Python.

The names are imported on first use (PEP 562): ``matching.units`` and
``matching.mechanisms`` load without numpy or numba, so a command that only needs them
(``klaster --help``, reading a cluster config) does not pay for the kernels.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module that defines it
_EXPORTS = {
    "Book": "matching.book",
    "BookError": "matching.book",
    "Side": "matching.book",
    "make_book": "matching.book",
    "make_side": "matching.book",
    "MECHANISMS": "matching.mechanisms",
    "RATIONING": "matching.mechanisms",
    "clear": "matching.clearing",
    "warm_up": "matching.clearing",
    "Published": "matching.published",
    "published": "matching.published",
    "published_book": "matching.published",
    "ClearingResult": "matching.result",
    "Trades": "matching.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
