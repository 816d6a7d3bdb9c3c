"""Studies: grids of simulations that answer a cluster's questions over many seeds.

A coordinator asks "which clearing mechanism?", "does a sharing key beat the market?",
"what if the households learned (ZIP) instead of bidding at random (ZIC)?". One simulation
answers for one draw of members, weather and forecast errors; a study runs every
combination over several seeds and says how sure the answer is::

    klaster study agents/studies/mechanisms.toml                  # every local core
    klaster study agents/studies/mechanisms.toml --workers 1      # in this process
    klaster study agents/studies/mechanisms.toml --ray-address auto   # a Ray cluster

- ``spec``: the STUDY.toml format (scenarios, mechanisms, allocations, strategies, seeds,
  the overrides ``days``, ``start``, ``group_size``, the ``confidence``), checked whole;
- ``allocation``: the allocation axis and what this build can run of it;
- ``grid``: the runs in grid order and one run (a row of KPIs);
- ``execute``: the same rows here, on a local process pool or on Ray;
- ``summary``: ``runs.csv``/``.parquet`` and ``summary.csv``/``.parquet`` (mean, sd and
  Student's t-interval over seeds per metric);
- ``plots``: savings, allocative efficiency, unrealised gains from trade and traded energy
  by mechanism, allocation and strategy, the intervals as error bars;
- ``cli``: ``klaster study``, registered through the ``klaster.commands`` entry point.

Savings alone cannot rank mechanisms (the prices members pay each other are transfers), so
every table and the printed lines put allocative efficiency and the gains from trade a
mechanism leaves unrealised next to them.
"""
