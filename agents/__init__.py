"""Everything that uses the market: client SDK, device models, strategies, simulations.

The client's names are exported lazily (PEP 562), so that the ``klaster`` commands that do
not talk HTTP start without importing aiohttp.
"""

from typing import Any

__all__ = ["KlasterClient", "KlasterError", "NewOrder", "Reading"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from agents.client import sdk as client

        return getattr(client, name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
