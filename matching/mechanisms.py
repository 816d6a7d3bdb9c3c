"""The names of the clearing mechanisms and rationing rules (``matching/SPEC.md``).

A module of its own, without numpy or numba, so that the cluster config and the command line
can check a name without loading the kernels (``klaster --help`` starts in tenths of a second).
"""

MECHANISMS = ("uniform", "pay-as-bid", "pair-midpoint", "trade-reduction")
RATIONING = ("pro-rata", "time-priority")
