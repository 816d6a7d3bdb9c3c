"""What a clearing returns: per-order fills and values, prices, and the trade list."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Trades:
    """The pairs that make up the fills, in the order the pairing walk produced them.

    ``buyer`` and ``seller`` index the bids and asks of the book. Every row has quantity
    > 0. ``buyer_price`` and ``seller_price`` [tick] differ only under trade reduction.
    """

    buyer: np.ndarray  # int64 index into bids
    seller: np.ndarray  # int64 index into asks
    quantity: np.ndarray  # int64 [Wh]
    buyer_price: np.ndarray  # int64 [tick]
    seller_price: np.ndarray  # int64 [tick]

    def __len__(self) -> int:
        return int(self.buyer.shape[0])


class ClearingResult:
    """The outcome of one call auction.

    ``bid_value[i]`` is the sum over order i's fills of ``quantity * price`` [Wh*tick], so
    its average price is ``bid_value[i] / bid_filled[i]``. ``price`` is the uniform clearing
    price (mechanism ``uniform`` with volume > 0, else None); ``buyer_price`` and
    ``seller_price`` are the two prices of ``trade-reduction`` (equal to ``price`` under
    ``uniform``, None for the discriminatory mechanisms).

    Where one price holds for a whole side, a value array may be left out (None) and is
    computed as ``filled * price`` on first use: for a million orders that saves allocating
    and writing 8 MB per side on the path that only wants fills.
    """

    __slots__ = (
        "mechanism",
        "volume",
        "price",
        "buyer_price",
        "seller_price",
        "bid_filled",
        "ask_filled",
        "_bid_value",
        "_ask_value",
        "trades",
    )

    def __init__(
        self,
        mechanism: str,
        volume: int,
        price: int | None,
        buyer_price: int | None,
        seller_price: int | None,
        bid_filled: np.ndarray,
        ask_filled: np.ndarray,
        bid_value: np.ndarray | None,
        ask_value: np.ndarray | None,
        trades: Trades | None,
    ) -> None:
        if (bid_value is None and buyer_price is None) or (
            ask_value is None and seller_price is None
        ):
            raise ValueError("a value array may be left out only where the side has one price")
        self.mechanism = mechanism
        self.volume = volume  # [Wh]
        self.price = price  # [tick]
        self.buyer_price = buyer_price  # [tick]
        self.seller_price = seller_price  # [tick]
        self.bid_filled = bid_filled  # int64 [Wh]
        self.ask_filled = ask_filled  # int64 [Wh]
        self._bid_value = bid_value  # int64 [Wh*tick], or None until first use
        self._ask_value = ask_value
        self.trades = trades

    @property
    def bid_value(self) -> np.ndarray:
        """Per bid: the sum of quantity * price over its fills [Wh*tick]."""
        if self._bid_value is None:
            self._bid_value = self.bid_filled * self.buyer_price
        return self._bid_value

    @property
    def ask_value(self) -> np.ndarray:
        """Per ask: the sum of quantity * price over its fills [Wh*tick]."""
        if self._ask_value is None:
            self._ask_value = self.ask_filled * self.seller_price
        return self._ask_value

    def __repr__(self) -> str:
        return (
            f"ClearingResult({self.mechanism!r}, volume={self.volume}, price={self.price}, "
            f"buyer_price={self.buyer_price}, seller_price={self.seller_price}, "
            f"bids={self.bid_filled.shape[0]}, asks={self.ask_filled.shape[0]}, "
            f"trades={None if self.trades is None else len(self.trades)})"
        )

    @property
    def surplus(self) -> int:
        """Budget surplus kept by the operator [Wh*tick]: buyers paid less sellers received."""
        return int(self.bid_value.sum()) - int(self.ask_value.sum())

    def digest(self) -> str:
        """A SHA-256 over every output byte, for determinism and replay checks."""
        h = hashlib.sha256()
        h.update(
            repr(
                (self.mechanism, self.volume, self.price, self.buyer_price, self.seller_price)
            ).encode()
        )
        arrays = [self.bid_filled, self.ask_filled, self.bid_value, self.ask_value]
        if self.trades is not None:
            t = self.trades
            arrays += [t.buyer, t.seller, t.quantity, t.buyer_price, t.seller_price]
        for a in arrays:
            h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
            h.update(b"|")
        return h.hexdigest()
