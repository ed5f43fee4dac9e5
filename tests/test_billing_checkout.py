"""start_checkout: the payment row first, one initiate, a typed outcome for every way it can go."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from khalti_portal.accounts import Profile
from khalti_portal.billing.checkout import MESSAGES, start_checkout
from khalti_portal.db.models import Payment, PaymentEvent, Plan
from khalti_portal.i18n.dates import format_moment

pytest_plugins = ["tests.db_fixtures"]

EXPIRES = "2026-01-15T13:15:00+05:45"  # T0 (06:30 UTC) + 1 hour, in Khalti's Nepal-time form


@pytest.fixture
def shop(world):
    """A user and the demo-like plans, one of them archived."""
    user_id = world.user()
    world.plan("basic", price_paisa=49_900, duration_days=30)
    archived = world.plan("legacy", price_paisa=9_900, duration_days=7)
    with Session(world.engine) as session:
        archived.is_active = False
        session.add(archived)
        session.commit()
    return world, user_id


def initiated(pidx="PIDX1"):
    return httpx.Response(
        200,
        json={
            "pidx": pidx,
            "payment_url": f"https://test-pay.khalti.test/?pidx={pidx}",
            "expires_at": EXPIRES,
            "expires_in": 3600,
        },
    )


def events_of(world, payment_id):
    return world.rows(PaymentEvent, PaymentEvent.payment_id == payment_id)


async def test_success_writes_the_row_before_initiate_and_redirects(shop, khalti):
    world, user_id = shop
    seen = {}

    def initiate(request):
        body = json.loads(request.content)
        with Session(world.engine) as session:
            row = session.exec(select(Payment).where(Payment.purchase_order_id == body["purchase_order_id"])).one()
            seen["status_during_initiate"] = row.status
        seen["body"] = body
        return initiated()

    khalti.routes["initiate"].mock(side_effect=initiate)

    outcome = await start_checkout(
        user_id=user_id, plan_slug="basic", customer=Profile(display_name="Sita", phone="9800000001"), deps=world.deps
    )

    assert outcome.ok and outcome.kind == "redirect" and not outcome.reused
    assert outcome.payment_url == "https://test-pay.khalti.test/?pidx=PIDX1"
    assert outcome.purchase_order_id.startswith("KP-") and len(outcome.purchase_order_id) >= 20
    assert seen["status_during_initiate"] == "created"
    body = seen["body"]
    assert body["amount"] == 49_900
    assert body["purchase_order_name"] == "Basic"
    assert body["return_url"] == "https://portal.test/payment/return"
    assert body["website_url"] == "https://portal.test"
    assert body["customer_info"] == {"name": "Sita", "phone": "9800000001"}
    payment = world.get(Payment, outcome.payment_id)
    assert (payment.status, payment.pidx, payment.amount_paisa) == ("pending", "PIDX1", 49_900)
    assert (payment.plan_name, payment.duration_days) == ("Basic", 30)
    assert payment.payment_url_expires_at == world.now() + timedelta(hours=1)
    assert payment.next_check_at == world.now() + timedelta(seconds=30)
    steps = [(e.kind, e.from_status, e.to_status, e.source) for e in events_of(world, payment.id)]
    assert steps == [("created", None, "created", "checkout"), ("transition", "created", "pending", "checkout")]
    # Admins read this later, whoever they are: the link's expiry is in the site's calendar.
    until = format_moment(world.now() + timedelta(hours=1), world.settings.default_calendar)
    assert events_of(world, payment.id)[1].detail == f"Khalti gave pidx PIDX1; the payment link works until {until}"


async def test_purchase_order_ids_are_unguessable(shop, khalti):
    world, user_id = shop
    khalti.routes["initiate"].mock(side_effect=[initiated("A"), initiated("B")])
    first = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    world.clock.advance(timedelta(minutes=2))  # past the double-click window
    second = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    assert first.purchase_order_id != second.purchase_order_id
    assert khalti.routes["initiate"].call_count == 2


@pytest.mark.parametrize("slug", ["legacy", "no-such-plan"])
async def test_archived_or_unknown_plan_is_not_found(shop, khalti, slug):
    world, user_id = shop
    outcome = await start_checkout(user_id=user_id, plan_slug=slug, deps=world.deps)
    assert (outcome.kind, outcome.payment_url, outcome.purchase_order_id) == ("plan_not_found", None, None)
    assert outcome.message and not outcome.ok
    assert world.rows(Payment) == []
    assert khalti.routes["initiate"].call_count == 0


@pytest.mark.parametrize(
    ("response", "kind", "reason_has"),
    [
        (httpx.Response(401, json={"detail": "Invalid token.", "status_code": 401}), "khalti_auth", "HTTP 401"),
        (
            httpx.Response(
                400,
                json={"amount": ["Amount should be greater than Rs. 10, that is 1000 paisa."], "error_key": "v"},
            ),
            "khalti_validation",
            "fields: amount",
        ),
        (httpx.Response(503, text="<html>down</html>"), "khalti_unavailable", "server_error"),
        (httpx.ConnectTimeout("slow"), "khalti_unavailable", "timeout"),
        (httpx.ConnectError("refused"), "khalti_unavailable", "connection"),
        (httpx.Response(200, json={"pidx": "X"}), "khalti_unexpected", "HTTP 200"),
        (httpx.Response(302, headers={"location": "https://elsewhere.test/"}), "khalti_unexpected", "HTTP 302"),
    ],
)
async def test_each_khalti_error_fails_the_payment_with_a_typed_outcome(shop, khalti, response, kind, reason_has):
    world, user_id = shop
    khalti.routes["initiate"].mock(side_effect=[response])

    outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)

    assert outcome.kind == kind and not outcome.ok and outcome.payment_url is None
    assert outcome.message == MESSAGES[kind] and "HTTP" not in outcome.message
    assert khalti.routes["initiate"].call_count == 1  # never retried
    [payment] = world.rows(Payment)
    assert payment.purchase_order_id == outcome.purchase_order_id
    assert payment.status == "failed" and payment.pidx is None
    assert payment.failure_reason.startswith(f"initiate failed: {kind}")
    assert reason_has in payment.failure_reason
    assert world.khalti_key not in payment.failure_reason
    assert "<html>" not in payment.failure_reason and "Invalid token" not in payment.failure_reason
    transition = events_of(world, payment.id)[-1]
    assert (transition.kind, transition.from_status, transition.to_status) == ("transition", "created", "failed")


async def test_a_double_click_makes_one_payment(shop, khalti):
    world, user_id = shop
    khalti.routes["initiate"].mock(side_effect=[initiated("ONE"), initiated("TWO")])

    first = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    world.clock.advance(timedelta(seconds=59))
    second = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)

    assert second.ok and second.reused
    assert (second.payment_id, second.payment_url) == (first.payment_id, first.payment_url)
    assert khalti.routes["initiate"].call_count == 1
    assert len(world.rows(Payment)) == 1
    assert events_of(world, first.payment_id)[-1].kind == "reused"


async def test_after_the_window_a_new_payment_is_started(shop, khalti):
    world, user_id = shop
    khalti.routes["initiate"].mock(side_effect=[initiated("ONE"), initiated("TWO")])
    first = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    world.clock.advance(timedelta(seconds=61))
    second = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    assert not second.reused and second.payment_id != first.payment_id
    assert second.payment_url.endswith("TWO")


async def test_no_reuse_for_another_user_plan_or_an_expired_link(shop, khalti):
    world, user_id = shop
    world.plan("standard", price_paisa=129_950, duration_days=90)
    other_user = world.user()
    expired_link = httpx.Response(
        200,
        json={
            "pidx": "OLD",
            "payment_url": "https://test-pay.khalti.test/?pidx=OLD",
            "expires_at": "2026-01-15T06:30:10Z",
        },
    )
    khalti.routes["initiate"].mock(side_effect=[expired_link, initiated("A"), initiated("B"), initiated("C")])

    await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    world.clock.advance(timedelta(seconds=20))  # the link above expired 10 s ago
    renewed = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    other_plan = await start_checkout(user_id=user_id, plan_slug="standard", deps=world.deps)
    other_person = await start_checkout(user_id=other_user, plan_slug="basic", deps=world.deps)

    assert not any(o.reused for o in (renewed, other_plan, other_person))
    assert khalti.routes["initiate"].call_count == 4


async def test_the_payment_keeps_the_price_it_was_started_at(shop, khalti):
    world, user_id = shop
    khalti.routes["initiate"].mock(side_effect=[initiated("ONE"), initiated("TWO")])
    first = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)

    with Session(world.engine) as session:
        plan = session.exec(select(Plan).where(Plan.slug == "basic")).one()
        plan.price_paisa, plan.name, plan.duration_days = 59_900, "Basic Plus", 31
        session.add(plan)
        session.commit()

    payment = world.get(Payment, first.payment_id)
    assert (payment.amount_paisa, payment.plan_name, payment.duration_days) == (49_900, "Basic", 30)
    # A click within the minute after the price change is a new order at the new price, not a reuse.
    second = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    assert not second.reused
    assert json.loads(khalti.routes["initiate"].calls.last.request.content)["amount"] == 59_900
    assert world.get(Payment, second.payment_id).amount_paisa == 59_900


async def test_a_bug_in_the_client_still_fails_the_payment(shop, khalti):
    world, user_id = shop
    khalti.routes["initiate"].mock(side_effect=RuntimeError("boom"))

    outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)

    assert outcome.kind == "khalti_unexpected"
    [payment] = world.rows(Payment)
    assert payment.status == "failed" and "RuntimeError" in payment.failure_reason


async def test_a_link_arriving_after_the_payment_timed_out_is_kept_but_not_used(shop, khalti):
    world, user_id = shop

    def initiate(request):
        # Meanwhile the reconciler gave up on the `created` payment.
        with Session(world.engine) as session:
            payment = session.exec(select(Payment)).one()
            payment.status = "failed"
            session.add(payment)
            session.commit()
        return initiated("LATE")

    khalti.routes["initiate"].mock(side_effect=initiate)

    outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)

    assert outcome.kind == "khalti_unexpected" and outcome.payment_url is None
    payment = world.get(Payment, outcome.payment_id)
    assert (payment.status, payment.pidx) == ("failed", "LATE")
    assert events_of(world, payment.id)[-1].kind == "late_initiate"
