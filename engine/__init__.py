"""The market: registry, intervals, order books, clearing, settlement, gateway, CLI.

This module is the engine's public facade: what the packages that *use* the market (agents,
studies, load tests) may import, besides the API's wire types (:mod:`engine.api`) and the
units and kernels of :mod:`matching`. Everything else under ``engine`` may move without
notice. ``tests/agents/test_imports.py`` keeps agents to these names.

The names are imported on first use (PEP 562), so ``import engine`` costs nothing and a
``klaster`` command loads only the modules it needs (no aiohttp for the commands that do not
serve HTTP).
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module that defines it
_EXPORTS = {
    # configuration: the cluster, read and validated
    "Cluster": "engine.config.cluster",
    "ClusterError": "engine.config.cluster",
    "load_cluster": "engine.config.cluster",
    "parse_cluster": "engine.config.cluster",
    "cluster_from_document": "engine.config.cluster",
    "demo_cluster": "engine.config.demo",
    "parse_pln_mwh": "engine.config.price_bands",
    # strict TOML reading, for formats that embed a cluster config (simulation scenarios)
    "FieldError": "engine.config.toml_table",
    "Table": "engine.config.toml_table",
    "show": "engine.config.toml_table",
    # time
    "Calendar": "engine.model.calendar",
    "SimulatedClock": "engine.model.clock",
    "WallClock": "engine.model.clock",
    # the market in process: orders in, readings in, results and settlement out
    "Market": "engine.market.market",
    "open_market": "engine.market.recovery",
    "NewOrder": "engine.book.new_orders",
    "OrderBatch": "engine.book.new_orders",
    # commands, their answers and the events they record (engine/DESIGN.md, the pipeline)
    "SubmitOrders": "engine.market.commands",
    "CancelOrder": "engine.market.commands",
    "ReplaceOrder": "engine.market.commands",
    "CloseGate": "engine.market.commands",
    "RecordReadings": "engine.market.commands",
    "PublishBands": "engine.market.commands",
    "Done": "engine.market.commands",
    "BatchAccepted": "engine.market.commands",
    "Rejected": "engine.model.rejects",
    "BatchRejected": "engine.model.rejects",
    "Event": "engine.market.events",
    "OrderAccepted": "engine.market.events",
    "OrdersAccepted": "engine.market.events",
    "OrderCancelled": "engine.market.events",
    "OrderReplaced": "engine.market.events",
    "GateClosed": "engine.market.events",
    "MeterReadingsRecorded": "engine.market.events",
    "PriceBandsPublished": "engine.market.events",
    "ReadingBatch": "engine.settlement.metering",
    "Statement": "engine.settlement.settle",
    "statement": "engine.settlement.settle",
    "member_statement": "engine.settlement.bills",
    "Kpis": "engine.settlement.kpis",
    "self_sufficiency": "engine.settlement.kpis",
    "self_consumption": "engine.settlement.kpis",
    # the register's conditions (engine.config.register): sources, kinds, the figures
    "RENEWABLE_SOURCES": "engine.config.register",
    "SOURCES": "engine.config.register",
    "POINT_BILLING_KEYS": "engine.config.billing",
    "RegisterFigures": "engine.settlement.register",
    "register_figures": "engine.settlement.register",
    # member tokens as `klaster serve` writes them
    "read_token_file": "engine.store.tokens",
    # what `klaster serve` serves, for packages that register a source of their own
    "ServeSource": "engine.cli.plugins",
    "ServedCluster": "engine.cli.plugins",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
