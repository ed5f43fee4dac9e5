"""The payment state machine as a pure table: (our status, Khalti's lookup) → what to do."""

from __future__ import annotations

from dataclasses import dataclass

from khalti_portal.billing.money import format_rupees
from khalti_portal.db.models import PaymentStatus
from khalti_portal.khalti import LookupResult, LookupStatus

# Statuses verification still asks Khalti about. `flagged` stays here so that a refund an admin makes
# after flagging is applied (and any period revoked) by the same function as every other refund.
LOOKUP_STATES: frozenset[PaymentStatus] = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.COMPLETED, PaymentStatus.FLAGGED}
)

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
class Decision:
    """What one lookup means for one payment: a target status (or none) and why."""

    to_status: PaymentStatus | None = None
    reason: str | None = None
    grant: bool = False  # create the payment's subscription period
    revoke: bool = False  # revoke the payment's period, if it has one
    anomaly: bool = False  # Khalti said something we cannot place: warn and audit, change nothing


def decide(current: PaymentStatus, lookup: LookupResult, *, amount_paisa: int) -> Decision:
    """The transition ARCHITECTURE.md's state machine prescribes for `current` after `lookup`."""
    said = lookup.status
    if said is LookupStatus.UNKNOWN:
        return Decision(anomaly=True, reason=f"Khalti status {lookup.status_text!r} is not one we know; left {current}")
    if current is PaymentStatus.PENDING:
        return _from_pending(lookup, amount_paisa)
    if current is PaymentStatus.COMPLETED:
        return _from_completed(said)
    if current is PaymentStatus.FLAGGED and said is LookupStatus.REFUNDED:
        return Decision(PaymentStatus.REFUNDED, "Khalti reports the flagged payment refunded", revoke=True)
    return Decision()


def _from_pending(lookup: LookupResult, amount_paisa: int) -> Decision:
    said = lookup.status
    if said is LookupStatus.COMPLETED:
        if lookup.total_amount == amount_paisa:
            return Decision(PaymentStatus.COMPLETED, "Khalti confirms the full amount was paid", grant=True)
        return Decision(
            PaymentStatus.FLAGGED,
            f"amount mismatch: expected {format_rupees(amount_paisa)} ({amount_paisa} paisa), "
            f"Khalti reports {format_rupees(lookup.total_amount)} ({lookup.total_amount} paisa); no access granted",
        )
    if said in (LookupStatus.PENDING, LookupStatus.INITIATED):
        return Decision()
    to_status, reason = _PENDING_OUTCOMES[said]
    return Decision(to_status, reason)


def _from_completed(said: LookupStatus) -> Decision:
    if said is LookupStatus.COMPLETED:
        return Decision()
    if said is LookupStatus.REFUNDED:
        return Decision(PaymentStatus.REFUNDED, "Khalti reports the payment refunded; access revoked", revoke=True)
    if said is LookupStatus.PARTIALLY_REFUNDED:
        # Part of the money went back, part stayed: only a person can say how much access that is worth.
        return Decision(
            PaymentStatus.FLAGGED,
            "Khalti reports a partial refund of a completed payment; access kept until an admin decides",
        )
    return Decision(anomaly=True, reason=f"Khalti now says {said.value!r} for a completed payment; left completed")
