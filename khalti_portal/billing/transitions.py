"""Payment transitions: what a lookup means for a payment (`verdict_for`), and the one way a status moves.

`verdict_for` is a pure table: (our status, Khalti's lookup) → a `LookupVerdict`. `move_payment` is the
only code that changes a payment's status: a conditional UPDATE from one status to another that writes
its audit row only when it moved the row, so a payment is confirmed (or failed, refunded...) exactly once
however many callers race (as pretix's `OrderPayment.confirm()`). `can_check` / `can_refund` say what an
admin may ask of a payment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, col, update

from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.money import format_rupees
from khalti_portal.db.models import Payment, PaymentEvent, PaymentStatus
from khalti_portal.khalti import LookupResult, LookupStatus

# Statuses verification still asks Khalti about. `flagged` stays here so that a refund an admin makes
# after flagging is applied (and any period revoked) by the same function as every other refund.
LOOKUP_STATES: frozenset[PaymentStatus] = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.COMPLETED, PaymentStatus.FLAGGED}
)
# Statuses whose money Khalti holds, so a refund can move them: completed payments, and flagged ones an
# admin resolves by refunding.
REFUNDABLE_STATES: frozenset[PaymentStatus] = frozenset({PaymentStatus.COMPLETED, PaymentStatus.FLAGGED})

_PENDING_OUTCOMES: dict[LookupStatus, tuple[PaymentStatus, str]] = {
    LookupStatus.USER_CANCELED: (PaymentStatus.CANCELED, "the payer canceled on Khalti's page"),
    LookupStatus.EXPIRED: (PaymentStatus.EXPIRED, "the payment link expired unpaid"),
    LookupStatus.FAILED: (PaymentStatus.FAILED, "Khalti reports the payment failed"),
    LookupStatus.REFUNDED: (PaymentStatus.REFUNDED, "Khalti reports the payment refunded before we saw it complete"),
    LookupStatus.PARTIALLY_REFUNDED: (
        PaymentStatus.FLAGGED,
        "Khalti reports a partial refund before we saw the payment complete; an admin must decide",
    ),
}


@dataclass(frozen=True)
class LookupVerdict:
    """What one lookup means for one payment: a target status (or none) and why."""

    to_status: PaymentStatus | None = None
    reason: str | None = None
    grant: bool = False  # create the payment's subscription period
    revoke: bool = False  # revoke the payment's period, if it has one
    anomaly: bool = False  # Khalti said something we cannot place: warn and audit, change nothing


def verdict_for(current: PaymentStatus, lookup: LookupResult, *, amount_paisa: int) -> LookupVerdict:
    """The transition ARCHITECTURE.md's state machine prescribes for `current` after `lookup`."""
    said = lookup.status
    if said is LookupStatus.UNKNOWN:
        reason = f"Khalti status {lookup.status_text!r} is not one we know; left {current}"
        return LookupVerdict(anomaly=True, reason=reason)
    if current is PaymentStatus.PENDING:
        return _from_pending(lookup, amount_paisa)
    if current is PaymentStatus.COMPLETED:
        return _from_completed(said)
    if current is PaymentStatus.FLAGGED and said is LookupStatus.REFUNDED:
        return LookupVerdict(PaymentStatus.REFUNDED, "Khalti reports the flagged payment refunded", revoke=True)
    return LookupVerdict()


def _from_pending(lookup: LookupResult, amount_paisa: int) -> LookupVerdict:
    said = lookup.status
    if said is LookupStatus.COMPLETED:
        if lookup.total_amount == amount_paisa:
            return LookupVerdict(PaymentStatus.COMPLETED, "Khalti confirms the full amount was paid", grant=True)
        return LookupVerdict(
            PaymentStatus.FLAGGED,
            f"amount mismatch: expected {format_rupees(amount_paisa)} ({amount_paisa} paisa), "
            f"Khalti reports {format_rupees(lookup.total_amount)} ({lookup.total_amount} paisa); no access granted",
        )
    if said in (LookupStatus.PENDING, LookupStatus.INITIATED):
        return LookupVerdict()
    to_status, reason = _PENDING_OUTCOMES[said]
    return LookupVerdict(to_status, reason)


def _from_completed(said: LookupStatus) -> LookupVerdict:
    if said is LookupStatus.COMPLETED:
        return LookupVerdict()
    if said is LookupStatus.REFUNDED:
        return LookupVerdict(PaymentStatus.REFUNDED, "Khalti reports the payment refunded; access revoked", revoke=True)
    if said is LookupStatus.PARTIALLY_REFUNDED:
        # Part of the money went back, part stayed: only a person can say how much access that is worth.
        return LookupVerdict(
            PaymentStatus.FLAGGED,
            "Khalti reports a partial refund of a completed payment; access kept until an admin decides",
        )
    return LookupVerdict(anomaly=True, reason=f"Khalti now says {said.value!r} for a completed payment; left completed")


# -- what an admin may ask of a payment -------------------------------------------------------------------


class _PaymentFacts(Protocol):
    """What the predicates read: a `Payment`, or a row shaped from one."""

    @property
    def status(self) -> str: ...  # a PaymentStatus

    @property
    def pidx(self) -> str | None: ...

    @property
    def transaction_id(self) -> str | None: ...


def can_check(payment: _PaymentFacts) -> bool:
    """Khalti can be asked about it and its answer may still move it: it has a pidx and is not settled for good."""
    return bool(payment.pidx) and payment.status in LOOKUP_STATES


def can_refund(payment: _PaymentFacts) -> bool:
    """Khalti can be asked to refund it: Khalti holds its money and gave it a transaction id."""
    return payment.status in REFUNDABLE_STATES and bool(payment.transaction_id)


# -- the one way a status moves ---------------------------------------------------------------------------


def move_payment(
    session: Session,
    payment_id: int,
    from_status: PaymentStatus,
    to_status: PaymentStatus,
    *,
    at: datetime,
    source: AuditSource,
    detail: str,
    values: Mapping[str, Any] | None = None,
    only_if: Sequence[Any] = (),
    actor_user_id: int | None = None,
    khalti_response: dict[str, Any] | None = None,
) -> PaymentEvent | None:
    """Move the payment `from_status` → `to_status` (and set `values`) if it is still `from_status`; audit the move.

    One conditional UPDATE (`WHERE id = :id AND status = :from`, plus `only_if`): of callers racing to move
    the same payment, exactly one matches. Only that one gets the audit row (kind TRANSITION, the payer's
    user id), added to `session` and returned; the caller may complete its detail with what the move brought
    about (a period granted or revoked) before committing. None when the payment was not `from_status` (or
    failed `only_if`): nothing is written and the caller must not act on the move.
    """
    moved = session.exec(
        update(Payment)
        .where(col(Payment.id) == payment_id, col(Payment.status) == from_status, *only_if)
        .values(status=to_status, updated_at=at, **(values or {}))
        .returning(col(Payment.user_id)),
        execution_options={"synchronize_session": False},
    ).first()
    if moved is None:
        return None
    return record_event(
        session,
        at=at,
        source=source,
        kind=AuditKind.TRANSITION,
        payment_id=payment_id,
        user_id=moved[0],
        actor_user_id=actor_user_id,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
        khalti_response=khalti_response,
    )
