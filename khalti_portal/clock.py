"""Now, in UTC: the one clock the portal reads (billing through `deps.clock`, so tests can freeze it)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is a bug, so it is refused rather than guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime in billing; pass an aware datetime")
    return value.astimezone(UTC)
