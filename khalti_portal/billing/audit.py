"""`record_event`: the one way anything writes to the append-only payment audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from khalti_portal.clock import ensure_utc
from khalti_portal.db.models import PaymentEvent

# The audit columns are String(16); PostgreSQL would refuse longer values, SQLite would keep them.
_MAX_TAG = 16


def record_event(
    session: Session,
    *,
    at: datetime,
    source: str,
    kind: str,
    payment_id: int | None = None,
    user_id: int | None = None,
    actor_user_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: str | None = None,
    khalti_response: dict[str, Any] | None = None,
) -> PaymentEvent:
    """Add one audit row to `session` (committed with the caller's transaction) and return it."""
    for name, value in (("source", source), ("kind", kind), ("from_status", from_status), ("to_status", to_status)):
        if value is not None and (not value or len(value) > _MAX_TAG):
            raise ValueError(f"audit {name} must be 1-{_MAX_TAG} characters, got {value!r}")
    event = PaymentEvent(
        payment_id=payment_id,
        user_id=user_id,
        actor_user_id=actor_user_id,
        source=source,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
        khalti_response=khalti_response,
        created_at=ensure_utc(at),
    )
    session.add(event)
    return event
