"""`record_event`: the one way anything writes to the append-only payment audit trail, in one vocabulary.

Every row names its `AuditSource` (who acted) and its `AuditKind` (what it records); the stored text is
the member's value.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from khalti_portal.clock import ensure_utc
from khalti_portal.db.models import PaymentEvent

# The audit columns are String(16); PostgreSQL would refuse longer values, SQLite would keep them.
_MAX_TAG = 16


class AuditSource(StrEnum):
    """Who wrote an audit row: the page or process that acted (an admin's id goes in `actor_user_id`)."""

    CHECKOUT = "checkout"  # starting a payment
    RETURN = "return"  # the page Khalti sends the payer back to
    DASHBOARD = "dashboard"  # the subscriber's dashboard
    RECONCILER = "reconciler"  # the background reconciler
    ADMIN = "admin"  # an admin's action or decision


class AuditKind(StrEnum):
    """What an audit row records."""

    CREATED = "created"  # checkout wrote the payment
    REUSED = "reused"  # a second checkout within a minute reused the pending payment's link
    TRANSITION = "transition"  # the payment's status moved (`transitions.move_payment`)
    INITIATE_ERROR = "initiate_error"  # asking Khalti for a link failed after the payment had left `created`
    LATE_INITIATE = "late_initiate"  # Khalti gave a link after the payment had left `created`
    LOOKUP = "lookup"  # Khalti's answer to a lookup
    LOOKUP_ERROR = "lookup_error"  # a lookup Khalti did not answer
    ANOMALY = "anomaly"  # Khalti said something we cannot place: nothing changed
    REFUND = "refund"  # an admin's refund: the request, then Khalti's answer
    GRANT = "grant"  # days of access an admin gave by hand
    EXTEND = "extend"  # days an admin added on the user's plan
    REVOKE = "revoke"  # access an admin ended
    PLAN = "plan"  # an admin's change to a plan
    MAIL_RETRY = "mail_retry"  # an admin queued a failed outbox message again
    API_KEY_CREATED = "api_key_created"  # an admin made an API key (only its prefix and label are recorded)
    API_KEY_REVOKED = "api_key_revoked"  # an admin revoked an API key


def record_event(
    session: Session,
    *,
    at: datetime,
    source: AuditSource,
    kind: AuditKind,
    payment_id: int | None = None,
    user_id: int | None = None,
    actor_user_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: str | None = None,
    khalti_response: dict[str, Any] | None = None,
) -> PaymentEvent:
    """Add one audit row to `session` (committed with the caller's transaction) and return it."""
    source, kind = AuditSource(source), AuditKind(kind)  # a word outside the vocabulary is refused here
    for name, value in (("from_status", from_status), ("to_status", to_status)):
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
