"""An event sink for market tests: keeps each event as the journal would give it back."""

from __future__ import annotations

from engine.market import events
from engine.market.events import Event


class RecordingJournal:
    """Keeps every appended event after a round trip through its encoding, so that what a
    test replays is what a journal holds (no live-only fields such as a clearing result)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def append(self, event: Event) -> int:
        stored = events.encode(event)
        self.events.append(events.decode(event.seq, event.kind, event.ts_us, stored))
        return event.seq

    @property
    def kinds(self) -> list[str]:
        """The kinds of the recorded events, in order."""
        return [e.kind for e in self.events]
