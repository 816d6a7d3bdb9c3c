"""Storage: the append-only event journal, the payload codec, members' API tokens."""
