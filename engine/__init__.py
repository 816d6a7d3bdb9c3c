"""The market: registry, intervals, order books, clearing, settlement, gateway, CLI."""
