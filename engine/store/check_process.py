"""The journal's hash chain checked in a process of its own, beside a replay.

A replay of a large journal spends about half its time hashing rows (one SHA-256 per event,
~1-2 us each, most of it OpenSSL's per-hash set-up that no Python code avoids) and the other
half reading and folding them. Checking a row needs only stored bytes (each row is hashed
against the *stored* hash of the row before it), so the check does not depend on the fold:
:class:`BackgroundCheck` runs it in a second process (``python -m
engine.store.check_process PATH SEQ HASH``) that reads the same committed rows in a
snapshot of its own, checks them up to the checkpoint the replay read (seq and hash), and
prints its :class:`~engine.store.chain.VerifyReport` as one JSON line. On two cores a start
then takes about the longer of the two halves.

Both processes read the same rows: committed events never change (one writer appends, under
the data directory's lock), and both stop at the same checkpoint.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType
from typing import Self

from engine.store.chain import Head, Problem, VerifyReport
from engine.store.journal import Journal


class BackgroundCheck:
    """The chain of the journal at ``path`` up to ``head``, checked by a child process."""

    def __init__(self, path: str, head: Head) -> None:
        self._path = path
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, path, str(head.seq), head.hash.hex()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def verdict(self) -> VerifyReport:
        """Wait for the child's report; raise ``RuntimeError`` if it gave none."""
        out, err = self._process.communicate()
        if self._process.returncode != 0 or not out:
            why = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"{self._path}: the chain check process failed: {why[0]}")
        return report_of(json.loads(out))

    def close(self) -> None:
        """Stop the child if it still runs (the replay ended before its verdict)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def report_json(report: VerifyReport) -> dict:
    """The report as plain JSON values (the hash in hex)."""
    return {
        "ok": report.ok,
        "events": report.events,
        "head_hash": report.head_hash.hex(),
        "first_bad_seq": report.first_bad_seq,
        "problem": None if report.problem is None else report.problem.value,
        "detail": report.detail,
    }


def report_of(values: dict) -> VerifyReport:
    """The inverse of :func:`report_json`."""
    problem = values["problem"]
    return VerifyReport(
        values["ok"],
        values["events"],
        bytes.fromhex(values["head_hash"]),
        values["first_bad_seq"],
        None if problem is None else Problem(problem),
        values["detail"],
    )


def main(argv: list[str]) -> int:
    """``PATH SEQ HASH``: check the journal at PATH up to event SEQ, which must hash to HASH
    (hex); print the report as one JSON line."""
    path, seq, hash_hex = argv
    journal = Journal.open(path, read_only=True)
    try:
        report = journal.verify(upto=Head(int(seq), bytes.fromhex(hash_hex)))
    finally:
        journal.close()
    print(json.dumps(report_json(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
