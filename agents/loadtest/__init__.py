"""``klaster loadtest``: closed-loop order load against a gateway on loopback."""
