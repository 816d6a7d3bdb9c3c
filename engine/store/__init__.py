"""Storage: the append-only event journal and members' API tokens."""
