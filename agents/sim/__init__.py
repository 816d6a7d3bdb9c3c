"""Simulations: scenarios, the coordinator loop, its market port, the report and
``klaster simulate``."""
