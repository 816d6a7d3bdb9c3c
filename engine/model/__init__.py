"""Shared vocabulary of the market: the calendar of intervals, clocks, the registry of members and
points, reject codes, column buffers."""
