"""The HTTP API's request and response types, defined once (msgspec Structs).

The gateway decodes requests into them and encodes its answers through them, the client
SDK decodes answers into them, and ``/v1/openapi.json`` is generated from them and the
route table (:mod:`engine.api.routes`, :mod:`engine.api.openapi`). This package imports
msgspec, the standard library and the calendar's instant range (:mod:`engine.model.calendar`,
itself standard library only), no aiohttp, so clients can use it on their own.

Units: energy int [Wh], money int [grosz], prices exact ``Decimal`` [PLN/MWh] (decimal
strings on the wire), instants aware UTC ``datetime`` (ISO 8601 with ``Z`` on the wire);
see :mod:`engine.api.values`. Types are frozen; a field that a response may leave out is
``msgspec.UNSET`` when absent (falsy), one that may be null is ``None``.
"""

from msgspec import UNSET, UnsetType

from engine.api.accounts import (
    Bill,
    Kpis,
    PointBill,
    PointSection,
    Statement,
    StatementLine,
    StatementPage,
)
from engine.api.configuration import (
    ClusterChange,
    ClusterChanged,
    ClusterConfig,
    Register,
    RegisterCondition,
)
from engine.api.delivery import (
    IntervalStatus,
    Reading,
    ReadingColumns,
    ReadingRows,
    ReadingsRecorded,
)
from engine.api.live import (
    BookChanged,
    Fill,
    Hello,
    IntervalChanged,
    OrdersCancelled,
    PriceBandsChanged,
    StreamClose,
    StreamMessage,
)
from engine.api.membership import (
    BandNow,
    ClusterRef,
    MarketRules,
    Me,
    Member,
    Members,
    OwnConnectionPoint,
)
from engine.api.service import (
    ApiIndex,
    Audit,
    Clock,
    ClockChange,
    Clusters,
    Health,
    HostedCluster,
    JournalHead,
    Problem,
    RowError,
)
from engine.api.timetable import (
    AuctionBook,
    Calendar,
    CalendarEntry,
    Depth,
    GateClosure,
    Indicative,
    Interval,
    Level,
    Result,
    Trade,
    Trades,
)
from engine.api.trading import (
    Band,
    Bands,
    BandsPublished,
    Cancelled,
    NewOrder,
    Order,
    OrderAccepted,
    OrderChange,
    OrderColumns,
    OrderColumnsMsgpack,
    Orders,
    OrdersAccepted,
    OrderStatus,
    PublishedBand,
    Replaced,
)
from engine.api.values import Int64Column, PriceInput

__all__ = [
    "AuctionBook",
    "BookChanged",
    "Fill",
    "Hello",
    "IntervalChanged",
    "OrdersCancelled",
    "PriceBandsChanged",
    "StreamClose",
    "StreamMessage",
    "UNSET",
    "ApiIndex",
    "Audit",
    "Band",
    "BandNow",
    "Bands",
    "BandsPublished",
    "Calendar",
    "ClusterChange",
    "ClusterChanged",
    "ClusterConfig",
    "CalendarEntry",
    "Cancelled",
    "Clock",
    "Clusters",
    "HostedCluster",
    "ClockChange",
    "ClusterRef",
    "Depth",
    "GateClosure",
    "Health",
    "JournalHead",
    "Indicative",
    "Int64Column",
    "Interval",
    "IntervalStatus",
    "Kpis",
    "Level",
    "MarketRules",
    "Me",
    "Member",
    "Members",
    "NewOrder",
    "Order",
    "OrderAccepted",
    "OrderChange",
    "OrderColumns",
    "OrderColumnsMsgpack",
    "Orders",
    "OrdersAccepted",
    "OrderStatus",
    "OwnConnectionPoint",
    "PriceInput",
    "Problem",
    "PublishedBand",
    "Reading",
    "Register",
    "RegisterCondition",
    "ReadingColumns",
    "ReadingRows",
    "ReadingsRecorded",
    "Replaced",
    "Result",
    "RowError",
    "Statement",
    "StatementLine",
    "StatementPage",
    "Bill",
    "PointBill",
    "PointSection",
    "Trade",
    "Trades",
    "UnsetType",
]
