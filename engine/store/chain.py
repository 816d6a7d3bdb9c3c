"""The journal's hash chain: the formula, checking stored rows against it, the head.

- Formula: ``hash = sha256(prev_hash || seq as 8 bytes big-endian || kind as UTF-8 ||
  ts_us as 8 bytes big-endian signed || payload)``; ``prev_hash`` of seq 1 is
  :data:`GENESIS_HASH` (32 zero bytes). The kind is not length-prefixed; the field boundary
  is still unambiguous because a kind never contains a NUL byte and the first byte of a ts
  in ``[0, 2**56)`` is always NUL (the journal refuses anything else on append and
  :class:`ChainCheck` checks it again).
- Head: the last event's ``(seq, hash)``; it fixes every event before it. The journal keeps
  it a second time, outside the events table, as its checkpoint (written in the transaction
  of every commit): a journal that ends before its checkpoint lost events at its end.
- :class:`ChainCheck` walks stored rows in seq order and stops at the first that breaks the
  chain. Its fast path hashes each row once (~1 us a row: one SHA-256 of ~150 bytes and a
  compare, allocating nothing the garbage collector tracks); only when a chunk holds a fault
  is it walked again row by row to say which part changed (:class:`Problem`).

Limits: the chain is not keyed. It shows that a row changed after the rows that chain from
it were written, not who wrote the file: whoever rewrites events together with every later
hash and the checkpoint leaves a consistent file. Publishing the head elsewhere
(``klaster audit head``) is what catches that.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

GENESIS_HASH = bytes(32)
"""The ``prev_hash`` of seq 1."""
TS_LIMIT_US = 2**56
"""Exclusive upper bound of ``ts_us`` [us] (year 4253); keeps the hash input unambiguous."""
KIND = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
"""What an event kind looks like (an event class name)."""

_SEQ_BYTES = struct.Struct(">Q").pack
_TS_BYTES = struct.Struct(">q").pack

Row = tuple[int, str, int, bytes, bytes]
"""A stored event as read: ``(seq, kind, ts_us, payload, hash)`` (types unchecked)."""


def chain_hash(prev_hash: bytes, seq: int, kind: str, ts_us: int, payload: bytes) -> bytes:
    """Return the hash of an event chained to ``prev_hash`` (the formula above)."""
    h = hashlib.sha256(b"".join((prev_hash, _SEQ_BYTES(seq), kind.encode(), _TS_BYTES(ts_us))))
    h.update(payload)  # separately: a large column batch is hashed without another copy
    return h.digest()


class Head(NamedTuple):
    """The head of a chain: the last event's seq and hash (0 and :data:`GENESIS_HASH` for
    an empty journal)."""

    seq: int
    hash: bytes


EMPTY_HEAD = Head(0, GENESIS_HASH)


class Problem(StrEnum):
    """What a check found wrong at ``VerifyReport.first_bad_seq``."""

    GAP = "gap"
    """The seqs are not 1, 2, 3, ...: an event is missing (deleted) or one was inserted."""
    CONTENT_ALTERED = "content altered"
    """kind, ts or payload changed: the event no longer hashes to its stored hash, which the
    next event still chains from. A previous event rewritten together with its hash looks
    exactly the same from the file alone (it is then found here, one seq late)."""
    HASH_ALTERED = "hash altered"
    """The stored hash changed: the content hashes correctly and the next event chains from
    that recomputed hash, not from the stored one."""
    BROKEN_LINK = "broken link"
    """The hash does not follow from the previous hash and the content, and the next event
    does not say which changed (this is the last event, or several were changed)."""
    MALFORMED = "malformed"
    """A column has the wrong type or a value outside the contract (kind, ts, hash length)."""
    TRUNCATED = "truncated"
    """The chain holds, but ends before the checkpoint: events were deleted from its end."""
    CHECKPOINT_MISMATCH = "checkpoint mismatch"
    """The chain holds, but its last event is not the checkpoint's: the last hash differs,
    or events follow the checkpoint that no commit of the journal wrote."""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The result of checking a journal.

    ``events`` and ``head_hash`` cover the verified prefix (all events when ``ok``);
    ``first_bad_seq`` is the first seq at fault, ``problem`` and ``detail`` (one line) say
    why.
    """

    ok: bool
    events: int
    head_hash: bytes
    first_bad_seq: int | None = None
    problem: Problem | None = None
    detail: str = ""


class ChainCheck:
    """Check a journal's rows in seq order, chunk by chunk, against the chain.

    Feed every chunk to :meth:`rows` (with the chunk after it, so that a fault in a chunk's
    last row can be told apart), then call :meth:`end` with the journal's checkpoint. The
    first fault ends the check: :meth:`rows` or :meth:`end` return its report.
    """

    def __init__(self) -> None:
        self.head = EMPTY_HEAD
        """The head of the rows checked so far."""
        # kinds found valid -> how to lay out their link: the regex once per kind
        self._links: dict[object, tuple[Callable[..., bytes], bytes]] = {}

    def rows(self, rows: list[Row], following: list[Row] | None) -> VerifyReport | None:
        """Check ``rows``, the next ones of the journal; return ``None`` if every one links
        to the chain (the head moves to the last), else the report of the first fault.
        ``following``: the rows after ``rows`` (``None`` at the end)."""
        seq, head = self.head
        expected = seq + 1
        links, sha256 = self._links, hashlib.sha256
        try:
            for seq, kind, ts_us, payload, stored in rows:
                link = links.get(kind)
                if link is None:
                    if type(kind) is not str or not KIND.fullmatch(kind):
                        break
                    link = links[kind] = _link_of(kind)
                if seq != expected or type(ts_us) is not int or not 0 <= ts_us < TS_LIMIT_US:
                    break
                pack, encoded = link
                h = sha256(pack(head, seq, encoded, ts_us))
                h.update(payload)
                if h.digest() != stored:
                    break
                head, expected = stored, expected + 1
            else:
                self.head = Head(expected - 1, head)
                return None
        except TypeError:  # a payload that is no BLOB: said precisely below
            pass
        return self._first_fault(rows, following)

    def end(self, checkpoint: Head | None) -> VerifyReport:
        """The report once every row linked: ok unless the chain does not end at
        ``checkpoint`` (``None``: a journal without one, nothing to compare)."""
        head = self.head
        fault = checkpoint_fault(head, checkpoint)
        if fault is not None:
            return VerifyReport(False, head.seq, head.hash, *fault)
        return VerifyReport(True, head.seq, head.hash)

    def _first_fault(self, rows: list[Row], following: list[Row] | None) -> VerifyReport:
        """Walk ``rows`` again, one by one, and say what is wrong with the first bad one."""
        (seq, head), lookahead = self.head, [*rows, *(following or ())[:1]]
        expected = seq + 1
        for at, row in enumerate(rows):
            seq, kind, ts_us, payload, stored = row
            following_row = lookahead[at + 1] if at + 1 < len(lookahead) else None
            if why := malformed(row):
                fault = seq, Problem.MALFORMED, f"seq {seq}: {why}"
            elif seq != expected:
                fault = min(seq, expected), Problem.GAP, f"expected seq {expected}, found {seq}"
            elif (computed := chain_hash(head, seq, kind, ts_us, payload)) != stored:
                fault = seq, *_diagnose(seq, computed, stored, following_row)
            else:
                head, expected = stored, expected + 1
                continue
            return VerifyReport(False, expected - 1, head, *fault)
        raise AssertionError("the fast check found a fault that the row-by-row one did not")


def _link_of(kind: str) -> tuple[Callable[..., bytes], bytes]:
    """``(pack, kind as UTF-8)``: ``pack(prev_hash, seq, kind, ts_us)`` lays out the chain
    formula's part before the payload in one call, one bytes object a row and no tuple,
    which the garbage collector would count (a million of those cost a start more than the
    hashing)."""
    encoded = kind.encode()
    return struct.Struct(f">32sQ{len(encoded)}sq").pack, encoded


def checkpoint_fault(head: Head, checkpoint: Head | None) -> tuple[int, Problem, str] | None:
    """Compare a verified chain's ``head`` with the journal's ``checkpoint``: ``None`` when
    they agree (or there is no checkpoint), else ``(first bad seq, problem, detail)``."""
    if checkpoint is None or head == checkpoint:
        return None
    ends = f"the journal ends at seq {head.seq} (hash {hex_hash(head.hash)})"
    kept = f"its checkpoint at seq {checkpoint.seq} (hash {hex_hash(checkpoint.hash)})"
    if head.seq < checkpoint.seq:
        missing = f"seq {head.seq + 1}" + (
            f"..{checkpoint.seq} are" if checkpoint.seq > head.seq + 1 else " is"
        )
        return head.seq + 1, Problem.TRUNCATED, f"{ends}, {kept}: {missing} missing"
    return min(head.seq, checkpoint.seq + 1), Problem.CHECKPOINT_MISMATCH, f"{ends}, {kept}"


def malformed(row: Row) -> str:
    """Say what is wrong with the types or ranges of a stored row ("" when nothing)."""
    seq, kind, ts_us, payload, stored = row
    if type(kind) is not str or not KIND.fullmatch(kind):
        return f"kind must match {KIND.pattern}, was {kind!r:.80}"
    if type(ts_us) is not int or not 0 <= ts_us < TS_LIMIT_US:
        return f"ts must be an int in [0, 2**56), was {ts_us!r:.80}"
    if type(payload) is not bytes:
        return f"payload must be a BLOB, was {type(payload).__name__}"
    if type(stored) is not bytes or len(stored) != 32:
        return f"hash must be a 32-byte BLOB, was {stored!r:.80}"
    return ""


def hex_hash(value: object) -> str:
    """A stored hash as hex (a malformed one as its repr: a report says what is wrong)."""
    return value.hex() if isinstance(value, bytes) else repr(value)


def _diagnose(
    seq: int, computed: bytes, stored: bytes, following: Row | None
) -> tuple[Problem, str]:
    """Tell which part of event ``seq`` changed, using the next event's link when it can."""
    if following is not None and following[0] == seq + 1 and not malformed(following):
        if chain_hash(computed, *following[:4]) == following[4]:
            return Problem.HASH_ALTERED, (
                f"seq {seq}: the stored hash was changed; its content hashes to the value"
                f" seq {seq + 1} chains from"
            )
        if chain_hash(stored, *following[:4]) == following[4]:
            return Problem.CONTENT_ALTERED, (
                f"seq {seq}: kind, ts or payload was changed (or seq {seq - 1} was rewritten"
                f" together with its hash): they no longer hash to the stored hash, which"
                f" seq {seq + 1} still chains from"
            )
    return Problem.BROKEN_LINK, (
        f"seq {seq}: the stored hash does not follow from the previous hash and the content"
    )
