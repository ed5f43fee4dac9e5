"""verify_payment against every lookup answer, through the real Khalti client and respx."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from khalti_portal.billing.subscription import expires_at
from khalti_portal.billing.verification import verify_payment
from khalti_portal.db.models import Payment, PaymentEvent, SubscriptionPeriod

pytest_plugins = ["tests.db_fixtures"]


@pytest.fixture
def setup(world):
    """A user with a pending Rs 499 / 30-day payment."""
    user_id = world.user()
    plan = world.plan("basic", price_paisa=49_900, duration_days=30)
    payment = world.payment(user_id=user_id, plan=plan)
    return world, payment


def answer(khalti, body, status_code=200):
    khalti.routes["lookup"].mock(return_value=httpx.Response(status_code, json=body))


def events(world, payment, kind=None):
    where = [PaymentEvent.payment_id == payment.id]
    if kind:
        where.append(PaymentEvent.kind == kind)
    return world.rows(PaymentEvent, *where)


def periods(world, payment):
    return world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment.id)


async def test_completed_with_the_right_amount_grants_one_period(setup, khalti):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Completed", 49_900, transaction_id="TXN1"))

    outcome = await verify_payment(payment.pidx, source="return", deps=world.deps)

    now = world.now()
    assert (outcome.status, outcome.changed, outcome.kind) == ("completed", True, "changed")
    assert (outcome.payment_id, outcome.user_id) == (payment.id, payment.user_id)
    assert outcome.period_ends_at == now + timedelta(days=30)
    assert outcome.lookup_status == "Completed"
    [period] = periods(world, payment)
    assert (period.starts_at, period.ends_at, period.plan_id) == (now, now + timedelta(days=30), payment.plan_id)
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.transaction_id, stored.fee_paisa) == ("completed", "TXN1", 0)
    assert stored.completed_at == now and stored.next_check_at is None
    assert stored.last_lookup["status"] == "Completed"
    [transition] = events(world, payment, "transition")
    assert (transition.from_status, transition.to_status, transition.source) == ("pending", "completed", "return")
    assert transition.khalti_response["transaction_id"] == "TXN1"
    assert len(events(world, payment, "lookup")) == 1
    assert expires_at(payment.user_id, deps=world.deps) == now + timedelta(days=30)
    sent = json.loads(khalti.routes["lookup"].calls.last.request.content)
    assert sent == {"pidx": payment.pidx}
    assert khalti.routes["lookup"].calls.last.request.headers["Authorization"] == f"Key {world.khalti_key}"


async def test_completed_with_another_amount_is_flagged_without_access(setup, khalti):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Completed", 499))

    outcome = await verify_payment(payment.pidx, source="dashboard", deps=world.deps)

    assert (outcome.status, outcome.changed, outcome.period_ends_at) == ("flagged", True, None)
    assert periods(world, payment) == []
    stored = world.get(Payment, payment.id)
    assert "expected Rs 499 (49900 paisa)" in stored.failure_reason
    assert "Rs 4.99 (499 paisa)" in stored.failure_reason
    assert stored.transaction_id == f"txn_{payment.pidx}"  # kept: an admin needs it to refund
    assert expires_at(payment.user_id, deps=world.deps) is None


@pytest.mark.parametrize("status", ["Pending", "Initiated"])
async def test_in_progress_stays_pending_and_backs_off(setup, khalti, status):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, status, 49_900))

    first = await verify_payment(payment.pidx, source="reconciler", deps=world.deps)
    after_first = world.get(Payment, payment.id)
    second = await verify_payment(payment.pidx, source="reconciler", deps=world.deps)
    after_second = world.get(Payment, payment.id)

    assert (first.status, first.changed, first.kind) == ("pending", False, "unchanged")
    assert second.status == "pending" and not second.changed
    assert after_first.next_check_at == world.now() + timedelta(seconds=30)
    assert after_second.next_check_at == world.now() + timedelta(seconds=60)
    assert after_second.check_count == 2
    assert periods(world, payment) == [] and events(world, payment, "transition") == []
    # The second answer repeats the first and changes nothing: counted on the payment, not audited again.
    assert len(events(world, payment, "lookup")) == 1
    assert (after_first.repeat_lookups, after_second.repeat_lookups) == (0, 1)


@pytest.mark.parametrize(
    ("khalti_status", "http_status", "expected"),
    [
        ("User canceled", 400, "canceled"),
        ("Expired", 400, "expired"),
        ("Failed", 200, "failed"),
        ("Refunded", 200, "refunded"),
        ("Partially Refunded", 200, "flagged"),
        ("partially refunded", 200, "flagged"),
    ],
)
async def test_pending_moves_to_its_final_state(setup, khalti, khalti_status, http_status, expected):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, khalti_status, 49_900), http_status)

    outcome = await verify_payment(payment.pidx, source="return", deps=world.deps)

    assert (outcome.status, outcome.changed, outcome.kind, outcome.period_ends_at) == (expected, True, "changed", None)
    assert periods(world, payment) == []
    stored = world.get(Payment, payment.id)
    assert stored.status == expected and stored.next_check_at is None
    [transition] = events(world, payment, "transition")
    assert (transition.from_status, transition.to_status) == ("pending", expected)
    if expected != "refunded":
        assert stored.failure_reason
    # Settled: asking again does not call Khalti.
    calls = khalti.routes["lookup"].call_count
    again = await verify_payment(payment.pidx, source="dashboard", deps=world.deps)
    if expected == "flagged":
        assert again.kind == "unchanged"  # flagged stays looked-up so a later refund can be applied
    else:
        assert (again.status, again.changed, again.kind) == (expected, False, "final")
        assert khalti.routes["lookup"].call_count == calls


async def test_refund_after_completion_revokes_the_period_and_expiry_falls_back(setup, khalti):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Completed", 49_900))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    assert expires_at(payment.user_id, deps=world.deps) == world.now() + timedelta(days=30)

    world.clock.advance(timedelta(days=2))
    answer(khalti, world.lookup_body(payment.pidx, "Refunded", 49_900, refunded=True))
    outcome = await verify_payment(payment.pidx, source="admin", deps=world.deps)

    assert (outcome.status, outcome.changed, outcome.period_ends_at) == ("refunded", True, None)
    [period] = periods(world, payment)
    assert period.revoked_at == world.now() and "refunded" in period.revoke_reason
    assert expires_at(payment.user_id, deps=world.deps) is None
    stored = world.get(Payment, payment.id)
    assert (stored.refunded_at, stored.refunded_paisa) == (world.now(), 49_900)
    transitions = [(e.from_status, e.to_status, e.source) for e in events(world, payment, "transition")]
    assert transitions == [("pending", "completed", "return"), ("completed", "refunded", "admin")]


async def test_refund_of_a_renewal_falls_back_to_the_earlier_expiry(world, khalti):
    user_id = world.user()
    plan = world.plan()
    first = world.payment(user_id=user_id, plan=plan)
    second = world.payment(user_id=user_id, plan=plan)
    for p in (first, second):
        answer(khalti, world.lookup_body(p.pidx, "Completed", 49_900))
        await verify_payment(p.pidx, source="return", deps=world.deps)
    assert expires_at(user_id, deps=world.deps) == world.now() + timedelta(days=60)

    answer(khalti, world.lookup_body(second.pidx, "Refunded", 49_900, refunded=True))
    await verify_payment(second.pidx, source="admin", deps=world.deps)

    assert expires_at(user_id, deps=world.deps) == world.now() + timedelta(days=30)


async def test_partial_refund_of_a_completed_payment_flags_it_and_keeps_access(setup, khalti):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Completed", 49_900))
    granted = await verify_payment(payment.pidx, source="return", deps=world.deps)

    answer(khalti, world.lookup_body(payment.pidx, "Partially Refunded", 49_900))
    outcome = await verify_payment(payment.pidx, source="admin", deps=world.deps)

    assert (outcome.status, outcome.changed) == ("flagged", True)
    assert outcome.period_ends_at == granted.period_ends_at
    [period] = periods(world, payment)
    assert period.revoked_at is None
    assert "partial refund" in world.get(Payment, payment.id).failure_reason

    # The admin then refunds the rest: the same function applies it and revokes the period.
    answer(khalti, world.lookup_body(payment.pidx, "Refunded", 49_900, refunded=True))
    refunded = await verify_payment(payment.pidx, source="admin", deps=world.deps)
    assert (refunded.status, refunded.changed, refunded.period_ends_at) == ("refunded", True, None)
    assert periods(world, payment)[0].revoked_at is not None


async def test_repeated_calls_make_one_period_and_one_transition(setup, khalti):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Completed", 49_900))

    outcomes = [await verify_payment(payment.pidx, source=s, deps=world.deps) for s in ("return", "dashboard")]
    world.clock.advance(timedelta(minutes=5))
    outcomes.append(await verify_payment(payment.pidx, source="reconciler", deps=world.deps))

    assert [o.changed for o in outcomes] == [True, False, False]
    assert [o.kind for o in outcomes] == ["changed", "unchanged", "unchanged"]
    assert {o.status for o in outcomes} == {"completed"}
    assert len({o.period_ends_at for o in outcomes}) == 1
    assert len(periods(world, payment)) == 1
    assert len(events(world, payment, "transition")) == 1
    # The first lookup moved it; the two after it said the same and changed nothing.
    assert len(events(world, payment, "lookup")) == 1
    assert world.get(Payment, payment.id).repeat_lookups == 2
    assert world.get(Payment, payment.id).check_count == 3


async def test_a_status_we_do_not_know_leaves_the_payment_pending_and_is_audited(setup, khalti, caplog):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Reversed", 49_900))

    outcome = await verify_payment(payment.pidx, source="reconciler", deps=world.deps)

    assert (outcome.status, outcome.changed, outcome.kind) == ("pending", False, "unknown_status")
    assert outcome.lookup_status == "Reversed"
    [anomaly] = events(world, payment, "anomaly")
    assert "Reversed" in anomaly.detail
    assert events(world, payment, "lookup")[0].khalti_response["status"] == "Reversed"
    assert "Reversed" in caplog.text
    assert periods(world, payment) == []


async def test_a_completed_payment_khalti_now_calls_expired_stays_completed(setup, khalti):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Completed", 49_900))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    answer(khalti, world.lookup_body(payment.pidx, "Expired", 49_900), 400)

    outcome = await verify_payment(payment.pidx, source="dashboard", deps=world.deps)

    assert (outcome.status, outcome.changed, outcome.kind) == ("completed", False, "unchanged")
    assert len(events(world, payment, "anomaly")) == 1
    assert periods(world, payment)[0].revoked_at is None


@pytest.mark.parametrize(
    ("side_effect", "kind"),
    [
        (httpx.Response(503, text="<html>Service Unavailable</html>"), "unavailable"),
        (httpx.ConnectTimeout("timed out"), "unavailable"),
        (httpx.ReadTimeout("timed out"), "unavailable"),
        (httpx.Response(401, json={"detail": "Invalid token.", "status_code": 401}), "error"),
        (httpx.Response(404, json={"detail": "Not found.", "error_key": "validation_error"}), "error"),
        (httpx.Response(200, json={"pidx": "someone-else", "status": "Completed", "total_amount": 1}), "error"),
    ],
)
async def test_a_failed_lookup_changes_nothing(setup, khalti, side_effect, kind):
    world, payment = setup
    khalti.routes["lookup"].mock(side_effect=[side_effect])

    outcome = await verify_payment(payment.pidx, source="reconciler", deps=world.deps)

    assert (outcome.status, outcome.changed, outcome.kind) == ("pending", False, kind)
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.last_lookup, stored.check_count) == ("pending", None, 0)
    [error] = events(world, payment, "lookup_error")
    assert error.source == "reconciler" and error.from_status == "pending"
    assert world.khalti_key not in (error.detail or "")
    assert events(world, payment, "transition") == [] and periods(world, payment) == []


async def test_an_unknown_pidx_is_not_found_without_asking_khalti(world, khalti):
    outcome = await verify_payment("no-such-pidx", source="return", deps=world.deps)
    empty = await verify_payment("", source="return", deps=world.deps)

    for o in (outcome, empty):
        assert (o.status, o.changed, o.kind, o.payment_id, o.user_id) == ("not_found", False, "not_found", None, None)
    assert khalti.routes["lookup"].call_count == 0


async def test_source_must_be_one_we_know(setup):
    world, payment = setup
    with pytest.raises(ValueError, match="source"):
        await verify_payment(payment.pidx, source="browser", deps=world.deps)  # type: ignore[arg-type]


async def test_refunding_a_flagged_payment_records_what_khalti_held(setup, khalti):
    world, payment = setup
    answer(khalti, world.lookup_body(payment.pidx, "Completed", 60_000))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    answer(khalti, world.lookup_body(payment.pidx, "Refunded", 60_000))

    outcome = await verify_payment(payment.pidx, source="admin", deps=world.deps)

    assert (outcome.status, outcome.changed) == ("refunded", True)
    assert world.get(Payment, payment.id).refunded_paisa == 60_000  # not our 49,900: the payer got back what they paid
