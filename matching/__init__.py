"""The clearing core: pure double-auction kernels over integer numpy columns.

Public API: :func:`make_book` builds a validated :class:`Book`; :func:`clear` clears it with
one of :data:`MECHANISMS` and returns a :class:`ClearingResult`; :func:`warm_up` compiles (or
loads from cache) every kernel so that the first real clearing pays no compile cost. The exact
rules are in ``matching/SPEC.md``; ``matching.reference`` implements them in plain Python.
"""

from matching.book import Book, BookError, Side, make_book, make_side
from matching.clearing import MECHANISMS, RATIONING, clear, warm_up
from matching.result import ClearingResult, Trades

__all__ = [
    "MECHANISMS",
    "RATIONING",
    "Book",
    "BookError",
    "ClearingResult",
    "Side",
    "Trades",
    "clear",
    "make_book",
    "make_side",
    "warm_up",
]
