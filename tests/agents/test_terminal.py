"""The status line of the agents' long commands: on a terminal it says what is going on,
rewritten in place; anywhere else it says nothing."""

from __future__ import annotations

import asyncio
import io
import threading

from agents.terminal import (
    DEFAULT_COLUMNS,
    ERASE_LINE,
    StatusLine,
    announced_if_slow,
    keep_showing,
)


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal and tells when something was written."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        n = super().write(text)
        self.written.set()
        return n


def test_a_status_line_is_rewritten_in_place_and_kept_with_a_newline_at_the_end() -> None:
    tty = FakeTerminal()
    status = StatusLine(tty)
    status.show("verifying 10 orders… 5 listed")
    status.show("verifying 10 orders… 10 listed")
    status.end("verifying 10 orders… done in 0.1 s")
    status.end()  # nothing showing: nothing more
    assert tty.getvalue() == (
        f"{ERASE_LINE}klaster: verifying 10 orders… 5 listed"
        f"{ERASE_LINE}klaster: verifying 10 orders… 10 listed"
        f"{ERASE_LINE}klaster: verifying 10 orders… done in 0.1 s\n"
    )


def test_a_status_line_is_cut_to_the_terminal_width_so_that_it_never_wraps() -> None:
    tty = FakeTerminal()  # no file descriptor: 80 columns
    StatusLine(tty).show("x" * 200)
    assert tty.getvalue() == f"{ERASE_LINE}klaster: " + "x" * (DEFAULT_COLUMNS - 1 - 9)


def test_a_status_line_says_nothing_into_a_pipe_or_a_closed_stream() -> None:
    pipe = io.StringIO()
    closed = io.StringIO()
    closed.close()
    for stream in (pipe, closed, None):
        status = StatusLine(stream)
        status.show("compiling")
        status.end("done")
        assert not status.tty
    assert pipe.getvalue() == ""


def test_slow_work_is_announced_while_it_runs_and_its_time_told_at_the_end() -> None:
    tty = FakeTerminal()
    with announced_if_slow(tty, "compiling the clearing kernels", after_s=0.01):
        # the work lasts until the announcement is out, however slow the machine is
        assert tty.written.wait(timeout=30)
    text = tty.getvalue()
    assert text.startswith(f"{ERASE_LINE}klaster: compiling the clearing kernels…")
    assert f"{ERASE_LINE}klaster: compiling the clearing kernels… done in " in text
    assert text.endswith(" s\n")


def test_work_done_before_the_announcement_is_due_says_nothing() -> None:
    tty = FakeTerminal()
    with announced_if_slow(tty, "compiling", after_s=3600):
        pass
    assert tty.getvalue() == ""


def test_slow_work_into_a_pipe_says_nothing() -> None:
    pipe = io.StringIO()
    with announced_if_slow(pipe, "compiling", after_s=0):
        threading.Event().wait(0.05)
    assert pipe.getvalue() == ""


def test_a_counter_is_redrawn_until_cancelled() -> None:
    tty = FakeTerminal()
    count = iter(range(1_000_000))

    async def run() -> None:
        task = asyncio.create_task(keep_showing(StatusLine(tty), lambda: f"{next(count)} sent", 0))
        while tty.getvalue().count(ERASE_LINE) < 3:
            await asyncio.sleep(0)
        task.cancel()

    asyncio.run(run())
    assert tty.getvalue().startswith(f"{ERASE_LINE}klaster: 0 sent{ERASE_LINE}klaster: 1 sent")
