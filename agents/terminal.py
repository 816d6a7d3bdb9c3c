"""What the agents' long commands say while they work, on a terminal only.

A command silent for many seconds looks hung (the first ``klaster simulate`` compiles the
clearing kernels, ``klaster loadtest`` lists every order back), so on a terminal they keep
one status line, ``klaster: WHAT…``, rewritten in place (carriage return, then ``ESC [K``
erases the rest of the old text) and kept with a newline when the work is done. When the
stream is not a terminal (a pipe, a file, a CI log) they say nothing: such a line is only
noise in a log, and whoever reads the log sees the result.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

ERASE_LINE = "\r\x1b[K"  # back to the line's start, erase to its end (ECMA-48 EL)
SLOW_S = 1.0  # work that takes longer than this [s] is announced (a cached load takes ~0.4 s)
EVERY_S = 0.5  # a counter on the status line is redrawn this often [s]
DEFAULT_COLUMNS = 80  # a terminal's width when it does not tell [characters]


def is_terminal(stream: TextIO | None) -> bool:
    """True if ``stream`` is an open terminal."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


class StatusLine:
    """One line on a terminal that says what is going on now; nothing on anything else."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.tty = is_terminal(stream)
        self.showing = False  # a line is on screen without its newline

    def show(self, text: str) -> None:
        """Replace the line with ``klaster: text``, cut to the terminal's width (a line that
        wrapped could not be rewritten in place)."""
        if not self.tty or self.stream is None:
            return
        line = f"klaster: {text}"
        self.stream.write(f"{ERASE_LINE}{line[: self._columns() - 1]}")
        self.stream.flush()
        self.showing = True

    def _columns(self) -> int:
        """The terminal's width [characters]; 80 if it does not say."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns if self.stream else 0
        except (AttributeError, ValueError, OSError):  # no file descriptor (a test's stream)
            return DEFAULT_COLUMNS
        return columns if columns > 0 else DEFAULT_COLUMNS  # a new pty says 0

    def end(self, text: str | None = None) -> None:
        """Keep the line (replaced by ``klaster: text`` if given) and move below it; nothing
        if no line is showing."""
        if not self.showing or self.stream is None:
            return
        if text is not None:
            self.stream.write(f"{ERASE_LINE}klaster: {text}")
        self.stream.write("\n")
        self.stream.flush()
        self.showing = False


@contextmanager
def announced_if_slow(stream: TextIO | None, text: str, after_s: float = SLOW_S) -> Iterator[None]:
    """Show ``klaster: text…`` on a terminal once the block has run ``after_s`` [s], and
    ``… done in T s`` when it ends; a block that ends sooner (work found in a cache) says
    nothing. The line is written by a timer thread while the block runs."""
    status = StatusLine(stream)
    if not status.tty:
        yield
        return
    started = time.perf_counter()
    timer = threading.Timer(after_s, status.show, (f"{text}…",))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()  # the line is either written whole or not at all before we go on
        status.end(f"{text}… done in {time.perf_counter() - started:.1f} s")


async def keep_showing(
    status: StatusLine, text: Callable[[], str], every_s: float = EVERY_S
) -> None:
    """Show ``text()`` on ``status`` every ``every_s`` [s] until cancelled (returns at once
    off a terminal)."""
    import asyncio  # here: the commands that import this module start without it

    if not status.tty:
        return
    while True:
        status.show(text())
        await asyncio.sleep(every_s)
