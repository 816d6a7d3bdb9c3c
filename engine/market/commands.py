"""What the market is asked to do, and what it answers.

A command is imperative and names who sends it (``member_id``, the member's id in the
cluster config; ``None`` only for the clock closing a gate). :meth:`Market.handle
<engine.market.market.Market.handle>` runs every command through one pipeline and answers
with a value, never an exception: :class:`Done` or :class:`BatchAccepted` once the command
changed the market (durable when its ``seq`` is committed), or a rejection
(:class:`~engine.model.rejects.Rejected` for a command about one thing,
:class:`~engine.model.rejects.BatchRejected` naming every bad row of a batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.book.new_orders import NewOrder, OrderBatch
from engine.market.bands import BandBatch
from engine.model.rejects import BatchRejected, Rejected
from engine.settlement.metering import ReadingBatch


@dataclass(frozen=True, slots=True)
class SubmitOrders:
    """Book orders of one member: every row or none. A single order is a batch of one
    (a :class:`NewOrder`, checked on plain ints)."""

    member_id: str
    orders: OrderBatch | NewOrder


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Take one of the member's active orders out of its book."""

    member_id: str
    order_id: int


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    """Cancel an order and book it anew with another price [tick] and/or quantity [Wh]."""

    member_id: str
    order_id: int
    price: int | None = None
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class CloseGate:
    """Close an interval's auction gate: freeze its book and clear it. The clock sends it
    when the gate's time has come (``member_id=None``); the coordinator may send it early."""

    member_id: str | None
    interval_start: int  # [s since the epoch, UTC]


@dataclass(frozen=True, slots=True)
class RecordReadings:
    """Record meter readings (the dso or the coordinator)."""

    member_id: str
    readings: ReadingBatch


@dataclass(frozen=True, slots=True)
class PublishBands:
    """Override the price bands of intervals whose auction is still open (the coordinator)."""

    member_id: str
    bands: BandBatch


@dataclass(frozen=True, slots=True)
class ChangeCluster:
    """Put a new configuration in force from an interval on (the coordinator).
    ``cluster``: validated as a config file is; ``effective_from_s``: an interval start [s],
    None for the first one that can still change."""

    member_id: str
    cluster: Any
    effective_from_s: int | None = None


Command = (
    SubmitOrders
    | CancelOrder
    | ReplaceOrder
    | CloseGate
    | RecordReadings
    | PublishBands
    | ChangeCluster
)
COMMAND_TYPES = frozenset(Command.__args__)

ROLES: dict[type, tuple[str, ...]] = {
    CloseGate: ("coordinator",),
    RecordReadings: ("dso", "coordinator"),
    PublishBands: ("coordinator",),
    ChangeCluster: ("coordinator",),
}
"""Who may send a command, by role; commands not listed are any member's."""

FORBIDDEN: dict[type, str] = {
    CloseGate: "only the coordinator closes gates",
    RecordReadings: "only the dso or the coordinator sends readings",
    PublishBands: "only the coordinator publishes price bands",
    ChangeCluster: "only the coordinator changes the cluster's configuration",
}


@dataclass(frozen=True, slots=True)
class Done:
    """A command that changed the market (or repeated one that did); durable once ``seq``
    is committed."""

    seq: int
    order_id: int | None = None
    repeat: bool = False  # the answer to a retry of an acknowledged order: nothing new booked


@dataclass(frozen=True, slots=True)
class BatchAccepted:
    """Every row of a batch booked (a repeated client order id gets its first order id)."""

    order_ids: np.ndarray  # int64, one per row
    seq: int  # the journal seq that makes them durable
    repeat: bool = False  # every row a retry of an acknowledged order: nothing new booked


@dataclass(frozen=True, slots=True)
class Changed:
    """A configuration change journaled: from when, what changed, which orders it cancelled."""

    seq: int
    effective_from_s: int  # [s]
    changes: tuple[str, ...]
    cancelled: tuple[int, ...]  # order ids


Answer = Done | BatchAccepted | Changed | Rejected | BatchRejected


def is_batch(command: Command) -> bool:
    """True for commands whose refusals name rows (:class:`BatchRejected`)."""
    if isinstance(command, SubmitOrders):
        return isinstance(command.orders, OrderBatch)
    return isinstance(command, RecordReadings | PublishBands)
