"""Where billing gets "now": the system clock in production, a `FrozenClock` in tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def system_clock() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is a bug, so it is refused rather than guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime in billing; pass an aware datetime")
    return value.astimezone(UTC)


class FrozenClock:
    """A clock that stands still until told to move, so tests travel in time instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        """The frozen instant."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward (or back, with a negative delta) and return the new instant."""
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Jump to `instant` and return it."""
        with self._lock:
            self._now = ensure_utc(instant)
            return self._now
