"""Studies: grids of simulations that answer a cluster's questions over many seeds
(``klaster study``, :mod:`agents.study.cli`)."""
