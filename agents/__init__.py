"""Everything that uses the market: client SDK, device models, strategies, simulations."""
