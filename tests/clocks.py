"""Clocks that stand still until a test moves them, so tests travel in time instead of sleeping.

`FrozenClock` is what billing's `deps.clock` gets in tests (see `tests/db_fixtures.py`); `ManualClock` is what
`create_emulator_app(clock=...)` gets.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from khalti_portal.clock import ensure_utc


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


class ManualClock:
    """A clock for `create_emulator_app(clock=...)` that moves only with `advance`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 15, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        """The current (frozen) time."""
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)`; returns the new now."""
        self.now += timedelta(**delta)
        return self.now
