"""The ``klaster`` command line."""
