"""The state machine as a table (every (our status, Khalti's status) pair), its predicates, and the one move."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, col

from khalti_portal.billing.transitions import LOOKUP_STATES, can_check, can_refund, move_payment, verdict_for
from khalti_portal.db.models import Payment, PaymentEvent, PaymentStatus
from khalti_portal.khalti import LookupResult, LookupStatus

P, C, F = PaymentStatus.PENDING, PaymentStatus.COMPLETED, PaymentStatus.FLAGGED


def said(status: LookupStatus, amount: int = 1000, text: str | None = None) -> LookupResult:
    return LookupResult(
        pidx="p",
        status=status,
        status_text=text or status.value,
        total_amount=amount,
        transaction_id=None,
        fee=0,
        refunded=False,
        http_status=200,
        raw={},
    )


@pytest.mark.parametrize(
    ("current", "lookup", "to", "grant", "revoke", "anomaly"),
    [
        (P, said(LookupStatus.COMPLETED), PaymentStatus.COMPLETED, True, False, False),
        (P, said(LookupStatus.COMPLETED, amount=999), PaymentStatus.FLAGGED, False, False, False),
        (P, said(LookupStatus.COMPLETED, amount=1001), PaymentStatus.FLAGGED, False, False, False),
        (P, said(LookupStatus.PARTIALLY_REFUNDED), PaymentStatus.FLAGGED, False, False, False),
        (P, said(LookupStatus.USER_CANCELED), PaymentStatus.CANCELED, False, False, False),
        (P, said(LookupStatus.EXPIRED), PaymentStatus.EXPIRED, False, False, False),
        (P, said(LookupStatus.FAILED), PaymentStatus.FAILED, False, False, False),
        (P, said(LookupStatus.REFUNDED), PaymentStatus.REFUNDED, False, False, False),
        (P, said(LookupStatus.PENDING), None, False, False, False),
        (P, said(LookupStatus.INITIATED), None, False, False, False),
        (P, said(LookupStatus.UNKNOWN, text="Hold"), None, False, False, True),
        (C, said(LookupStatus.COMPLETED), None, False, False, False),
        (C, said(LookupStatus.REFUNDED), PaymentStatus.REFUNDED, False, True, False),
        (C, said(LookupStatus.PARTIALLY_REFUNDED), PaymentStatus.FLAGGED, False, False, False),
        (C, said(LookupStatus.PENDING), None, False, False, True),
        (C, said(LookupStatus.EXPIRED), None, False, False, True),
        (C, said(LookupStatus.USER_CANCELED), None, False, False, True),
        (C, said(LookupStatus.UNKNOWN, text="Hold"), None, False, False, True),
        (F, said(LookupStatus.REFUNDED), PaymentStatus.REFUNDED, False, True, False),
        (F, said(LookupStatus.COMPLETED), None, False, False, False),
        (F, said(LookupStatus.PARTIALLY_REFUNDED), None, False, False, False),
    ],
)
def test_verdict_for(current, lookup, to, grant, revoke, anomaly):
    verdict = verdict_for(current, lookup, amount_paisa=1000)
    assert (verdict.to_status, verdict.grant, verdict.revoke, verdict.anomaly) == (to, grant, revoke, anomaly)
    if to is not None or anomaly:
        assert verdict.reason


def test_only_a_completed_lookup_with_the_exact_amount_grants():
    granting = [
        (current, status)
        for current in PaymentStatus
        for status in LookupStatus
        if verdict_for(current, said(status), amount_paisa=1000).grant
    ]
    assert granting == [(PaymentStatus.PENDING, LookupStatus.COMPLETED)]


def test_settled_states_are_not_looked_up():
    assert LOOKUP_STATES == {P, C, F}
    for current in set(PaymentStatus) - LOOKUP_STATES:
        for status in LookupStatus:
            verdict = verdict_for(current, said(status), amount_paisa=1000)
            assert verdict.to_status is None and not verdict.grant


# -- the predicates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    status: str
    pidx: str | None = "pidx_1"
    transaction_id: str | None = "txn_1"


def test_a_payment_can_be_checked_while_a_lookup_may_still_move_it():
    checkable = {status for status in PaymentStatus if can_check(Facts(status))}
    assert checkable == {P, C, F}
    assert not can_check(Facts(P, pidx=None)) and not can_check(Facts(C, pidx=""))


def test_a_payment_can_be_refunded_when_khalti_holds_its_money_and_named_the_transaction():
    refundable = {status for status in PaymentStatus if can_refund(Facts(status))}
    assert refundable == {C, F}
    assert not can_refund(Facts(C, transaction_id=None)) and not can_refund(Facts(F, transaction_id=""))


# -- the one way a status moves ------------------------------------------------------------------------------


def move(world, payment_id: int, **extra):
    with Session(world.engine) as session:
        event = move_payment(session, payment_id, P, C, at=world.now(), source="reconciler", detail="paid", **extra)
        session.commit()
        return event


def test_a_payment_moves_once_and_only_the_mover_writes_the_audit_row(world):
    user = world.user()
    payment = world.payment(user_id=user, plan=world.plan())

    first = move(world, payment.id, values={"completed_at": world.now()}, khalti_response={"status": "Completed"})
    second = move(world, payment.id)

    assert first is not None and second is None
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.completed_at, stored.updated_at) == ("completed", world.now(), world.now())
    [event] = world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id)
    assert (event.source, event.kind, event.user_id, event.from_status, event.to_status, event.detail) == (
        "reconciler",
        "transition",
        user,
        "pending",
        "completed",
        "paid",
    )
    assert event.khalti_response == {"status": "Completed"}


def test_a_move_whose_extra_condition_fails_changes_and_writes_nothing(world):
    payment = world.payment(user_id=world.user(), plan=world.plan())

    event = move(world, payment.id, only_if=(col(Payment.khalti_mode) == "live",))

    assert event is None
    assert world.get(Payment, payment.id).status == "pending"
    assert world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id) == []
