"""numba kernels of ``klaster clear`` for big books: scan a plain book file, write its fills.

The file is one ``uint8`` array. :func:`scan_rows` walks it once, row by row, and fills
per-row columns (where the row starts, its side, price [tick], quantity [Wh], the hash of
its order id, its member's code, numbered through an open-addressing hash table: FNV-1a,
and the bytes compared on a hash match, so a collision costs a probe, never a wrong code);
:func:`write_fills` writes the fills CSV into a buffer the caller allocated. Both are
quiet: no raise, no allocation beyond two counters; the return value says how it went.

"Plain" is a strict subset of the format of :mod:`engine.cli.book_csv`, chosen so that each
field's bytes are its text exactly as the csv module would read and write it: no quote
character anywhere, no blank line, lines ending in LF or CR LF, names (order id, member)
beginning and ending with a printable ASCII character (so ``str.strip`` has nothing to
strip), ``buy``/``sell`` as is, numbers ``-?[0-9]+(\\.[0-9]+)?`` with no digit other than 0
past the unit's decimals, within the limits of :mod:`matching.units`. Every other file,
valid or not, goes to :func:`engine.cli.book_csv.read_book_csv`, which reads it, or names
its first bad line, as it always has: :data:`NOT_PLAIN` says only "not for this path".
"""

from __future__ import annotations

import numpy as np
from numba import njit

NOT_PLAIN = -1

_LF, _CR, _COMMA, _QUOTE, _MINUS, _DOT = 10, 13, 44, 34, 45, 46
_ZERO, _NINE = 48, 57
_FIRST_NAME_BYTE, _LAST_NAME_BYTE = 0x21, 0x7E  # printable ASCII, no space
_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)
_NO_LARGER = 10**12  # integer digits stop counting beyond this: out of every limit anyway


@njit(cache=True)
def _field_end(data: np.ndarray, pos: int) -> int:
    """Index of the comma, quote, CR or LF that ends the field at ``pos`` (or the end)."""
    n = len(data)
    while pos < n:
        byte = data[pos]
        if byte in (_COMMA, _LF, _CR, _QUOTE):
            return pos
        pos += 1
    return pos


@njit(cache=True)
def _is_name(data: np.ndarray, start: int, end: int) -> bool:
    """A non-empty field whose first and last bytes are printable ASCII other than space."""
    if end <= start:
        return False
    first, last = data[start], data[end - 1]
    return (
        _FIRST_NAME_BYTE <= first <= _LAST_NAME_BYTE and _FIRST_NAME_BYTE <= last <= _LAST_NAME_BYTE
    )


@njit(cache=True)
def _hash(data: np.ndarray, start: int, end: int) -> np.uint64:
    """FNV-1a of ``data[start:end]`` (64 bit)."""
    h = _FNV_OFFSET
    for i in range(start, end):
        h = (h ^ np.uint64(data[i])) * _FNV_PRIME
    return h


@njit(cache=True)
def _side(data: np.ndarray, start: int, end: int) -> int:
    """0 for ``buy``, 1 for ``sell``, -1 for anything else."""
    length = end - start
    if length == 3 and data[start] == 98 and data[start + 1] == 117 and data[start + 2] == 121:
        return 0
    if (
        length == 4
        and data[start] == 115
        and data[start + 1] == 101
        and data[start + 2] == 108
        and data[start + 3] == 108
    ):
        return 1
    return -1


@njit(cache=True)
def _decimal(data: np.ndarray, start: int, end: int, decimals: int) -> tuple[bool, int]:
    """``-?[0-9]+(\\.[0-9]+)?`` as an integer of 10**-decimals units: (ok, value).

    Not ok: another form, a non-zero digit past ``decimals``, or an integer part above
    ``_NO_LARGER``."""
    pos = start
    negative = pos < end and data[pos] == _MINUS
    if negative:
        pos += 1
    digits_from = pos
    whole = 0
    while pos < end and _ZERO <= data[pos] <= _NINE:
        if whole <= _NO_LARGER:
            whole = whole * 10 + (data[pos] - _ZERO)
        pos += 1
    if pos == digits_from or whole > _NO_LARGER:
        return False, 0
    fraction = 0
    places = 0
    if pos < end:
        if data[pos] != _DOT:
            return False, 0
        pos += 1
        if pos == end:
            return False, 0
        while pos < end:
            byte = data[pos]
            if not (_ZERO <= byte <= _NINE):
                return False, 0
            if places < decimals:
                fraction = fraction * 10 + (byte - _ZERO)
                places += 1
            elif byte != _ZERO:
                return False, 0
            pos += 1
    while places < decimals:
        fraction *= 10
        places += 1
    value = whole * 10**decimals + fraction
    return True, -value if negative else value


@njit(cache=True)
def _same_bytes(data: np.ndarray, start: int, end: int, other_start: int, other_end: int) -> bool:
    if end - start != other_end - other_start:
        return False
    for i in range(end - start):  # noqa: SIM110 (a plain loop: numba's all() takes no generator)
        if data[start + i] != data[other_start + i]:
            return False
    return True


@njit(cache=True)
def _first_row(
    data: np.ndarray,
    table: np.ndarray,
    hashes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    row: int,
) -> int:
    """The first row whose field has the bytes of ``row``'s (``row`` itself if none, which
    ``table`` then remembers): an open-addressing table of row numbers, -1 where empty,
    over the fields' hashes, a power of two longer than the rows."""
    mask = np.int64(len(table) - 1)
    slot = np.int64(hashes[row] & np.uint64(mask))  # int64 from here: uint64 + int is a float
    while True:
        other = table[slot]
        if other < 0:
            table[slot] = row
            return row
        if hashes[other] == hashes[row] and _same_bytes(
            data, starts[row], ends[row], starts[other], ends[other]
        ):
            return other
        slot = (slot + 1) & mask


@njit(cache=True)
def scan_rows(
    data: np.ndarray,
    start: int,
    price_decimals: int,
    quantity_decimals: int,
    max_abs_price: int,
    max_side_total: int,
    line_start: np.ndarray,
    prefix_end: np.ndarray,
    id_hash: np.ndarray,
    member_start: np.ndarray,
    member_end: np.ndarray,
    member_hash: np.ndarray,
    member_table: np.ndarray,
    side: np.ndarray,
    side_index: np.ndarray,
    member: np.ndarray,
    price: np.ndarray,
    quantity: np.ndarray,
) -> int:
    """Scan the rows of ``data[start:]`` into the per-row columns; return how many, or
    :data:`NOT_PLAIN` at the first row that is not plain (module docstring).

    ``prefix_end``: one past the comma after the side, so ``data[line_start:prefix_end]``
    is ``order_id,member,side,`` as the fills repeat it. ``side_index``: the row's index
    among the rows of its side. ``id_hash``: FNV-1a of the order id (the caller looks for
    repeats). ``member``: a code per distinct member, 0, 1, ... in order of first
    appearance; ``member_hash`` and ``member_table`` (a power of two above the rows, all -1)
    are its work space. The columns must hold one entry per line at least.
    """
    n = len(data)
    pos = start
    row = 0
    members = 0
    counts = np.zeros(2, np.int64)
    totals = np.zeros(2, np.int64)
    while pos < n:
        line_start[row] = pos
        i_end = _field_end(data, pos)
        if i_end == n or data[i_end] != _COMMA or not _is_name(data, pos, i_end):
            return NOT_PLAIN
        m_start = i_end + 1
        m_end = _field_end(data, m_start)
        if m_end == n or data[m_end] != _COMMA or not _is_name(data, m_start, m_end):
            return NOT_PLAIN
        s_end = _field_end(data, m_end + 1)
        if s_end == n or data[s_end] != _COMMA:
            return NOT_PLAIN
        which = _side(data, m_end + 1, s_end)
        p_end = _field_end(data, s_end + 1)
        if which < 0 or p_end == n or data[p_end] != _COMMA:
            return NOT_PLAIN
        ok, ticks = _decimal(data, s_end + 1, p_end, price_decimals)
        if not ok or abs(ticks) > max_abs_price:
            return NOT_PLAIN
        q_end = _field_end(data, p_end + 1)
        ok, wh = _decimal(data, p_end + 1, q_end, quantity_decimals)
        if not ok or wh <= 0 or totals[which] + wh > max_side_total:
            return NOT_PLAIN
        if q_end == n:
            pos = n
        elif data[q_end] == _LF:
            pos = q_end + 1
        elif data[q_end] == _CR and q_end + 1 < n and data[q_end + 1] == _LF:
            pos = q_end + 2
        else:  # a fifth comma, a quote, a lone CR
            return NOT_PLAIN
        id_hash[row] = _hash(data, line_start[row], i_end)
        member_start[row] = m_start
        member_end[row] = m_end
        member_hash[row] = _hash(data, m_start, m_end)
        first = _first_row(data, member_table, member_hash, member_start, member_end, row)
        if first == row:
            member[row] = members
            members += 1
        else:
            member[row] = member[first]
        totals[which] += wh
        prefix_end[row] = s_end + 1
        side[row] = which
        side_index[row] = counts[which]
        counts[which] += 1
        price[row] = ticks
        quantity[row] = wh
        row += 1
    return row


@njit(cache=True)
def _write_fixed(out: np.ndarray, pos: int, value: int, decimals: int) -> int:
    """Write ``value`` >= 0 [10**-decimals units] as ``I.DDD`` at ``pos``; return the end."""
    digits = 1
    rest = value // 10
    while rest > 0:
        digits += 1
        rest //= 10
    if digits < decimals + 1:
        digits = decimals + 1  # at least "0." and every decimal
    end = pos + digits + 1
    i = end - 1
    for place in range(digits):
        if place == decimals:
            out[i] = _DOT
            i -= 1
        out[i] = _ZERO + value % 10
        value //= 10
        i -= 1
    return end


@njit(cache=True)
def write_fills(
    data: np.ndarray,
    rows: int,
    line_start: np.ndarray,
    prefix_end: np.ndarray,
    side: np.ndarray,
    side_index: np.ndarray,
    bid_filled: np.ndarray,
    ask_filled: np.ndarray,
    bid_value: np.ndarray,
    ask_value: np.ndarray,
    quantity_decimals: int,
    price_decimals: int,
    out: np.ndarray,
) -> int:
    """Write one fills row per scanned row into ``out``; return the bytes written.

    A row: its ``order_id,member,side,`` bytes, the filled quantity with
    ``quantity_decimals`` decimals, a comma, the average price ``value / filled`` rounded
    half to even to ``price_decimals`` decimals (the tick: value [Wh*tick] / filled [Wh]
    is in ticks), empty when nothing filled, LF. ``out`` must hold the prefixes plus 48
    bytes per row.
    """
    pos = 0
    for row in range(rows):
        for i in range(line_start[row], prefix_end[row]):
            out[pos] = data[i]
            pos += 1
        index = side_index[row]
        if side[row] == 0:
            filled, value = bid_filled[index], bid_value[index]
        else:
            filled, value = ask_filled[index], ask_value[index]
        pos = _write_fixed(out, pos, filled, quantity_decimals)
        out[pos] = _COMMA
        pos += 1
        if filled > 0:
            magnitude = -value if value < 0 else value
            ticks = magnitude // filled
            twice_rest = 2 * (magnitude - ticks * filled)
            if twice_rest > filled or (twice_rest == filled and ticks % 2 == 1):
                ticks += 1
            if value < 0:  # also "-0.00", as Decimal writes a negative that rounds to 0
                out[pos] = _MINUS
                pos += 1
            pos = _write_fixed(out, pos, ticks, price_decimals)
        out[pos] = _LF
        pos += 1
    return pos
