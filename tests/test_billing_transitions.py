"""The state machine as a table: every (our status, Khalti's status) pair and what it leads to."""

from __future__ import annotations

import pytest

from khalti_portal.billing.transitions import LOOKUP_STATES, decide
from khalti_portal.db.models import PaymentStatus
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
def test_decide(current, lookup, to, grant, revoke, anomaly):
    decision = decide(current, lookup, amount_paisa=1000)
    assert (decision.to_status, decision.grant, decision.revoke, decision.anomaly) == (to, grant, revoke, anomaly)
    if to is not None or anomaly:
        assert decision.reason


def test_only_a_completed_lookup_with_the_exact_amount_grants():
    granting = [
        (current, status)
        for current in PaymentStatus
        for status in LookupStatus
        if decide(current, said(status), amount_paisa=1000).grant
    ]
    assert granting == [(PaymentStatus.PENDING, LookupStatus.COMPLETED)]


def test_settled_states_are_not_looked_up():
    assert LOOKUP_STATES == {P, C, F}
    for current in set(PaymentStatus) - LOOKUP_STATES:
        for status in LookupStatus:
            decision = decide(current, said(status), amount_paisa=1000)
            assert decision.to_status is None and not decision.grant
