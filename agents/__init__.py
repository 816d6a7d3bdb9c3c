"""Everything that uses the market: client SDK, device models, strategies, simulations."""

from agents.client import KlasterClient, KlasterError, NewOrder, Reading

__all__ = ["KlasterClient", "KlasterError", "NewOrder", "Reading"]
