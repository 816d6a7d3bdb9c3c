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


@dataclass(frozen=True, slots=True)
class ClearingResult:
    """The outcome of one call auction.

    ``bid_value[i]`` is the sum over order i's fills of ``quantity * price`` [Wh*tick], so
    its average price is ``bid_value[i] / bid_filled[i]``. ``price`` is the uniform clearing
    price (mechanism ``uniform`` with volume > 0, else None); ``buyer_price`` and
    ``seller_price`` are the two prices of ``trade-reduction`` (equal to ``price`` under
    ``uniform``, None for the discriminatory mechanisms).
    """

    mechanism: str
    volume: int  # [Wh]
    price: int | None  # [tick]
    buyer_price: int | None  # [tick]
    seller_price: int | None  # [tick]
    bid_filled: np.ndarray  # int64 [Wh]
    ask_filled: np.ndarray  # int64 [Wh]
    bid_value: np.ndarray  # int64 [Wh*tick]
    ask_value: np.ndarray  # int64 [Wh*tick]
    trades: Trades | None

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
