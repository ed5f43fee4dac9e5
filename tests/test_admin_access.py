"""The decisions only a person makes: accept a flagged payment (exactly once), access by hand, each audited
with the admin and a required reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from khalti_portal.billing.admin import access
from khalti_portal.billing.admin.access import (
    extend_access,
    find_user,
    grant_access,
    grant_flagged,
    revoke_access,
)
from khalti_portal.billing.periods import grant_period, revoke_period
from khalti_portal.billing.subscription import expires_at, is_active, summary
from khalti_portal.db.models import Payment, PaymentEvent, PaymentStatus, SubscriptionPeriod
from khalti_portal.i18n.dates import Calendar, format_moment
from khalti_portal.reading_preferences import set_calendar, site_calendar

pytest_plugins = ["tests.db_fixtures"]

DAY = timedelta(days=1)
REASON = "Khalti support confirmed the payer paid in full"


def flagged(world, plan, user_id: int | None = None) -> Payment:
    """A payment verification flagged (amount mismatch): no period, a transaction id kept."""
    payment = world.payment(user_id=user_id or world.user(), plan=plan, status=PaymentStatus.FLAGGED)
    with Session(world.engine) as session:
        stored = session.get(Payment, payment.id)
        stored.transaction_id, stored.failure_reason = "TXN-F", "amount mismatch"
        session.commit()
    return world.get(Payment, payment.id)


def snapshot(world) -> dict[str, Any]:
    with Session(world.engine) as session:

        def dump(model):
            return [r.model_dump() for r in session.exec(select(model).order_by(model.id)).all()]

        return {"payments": dump(Payment), "periods": dump(SubscriptionPeriod), "events": dump(PaymentEvent)}


def paid_period(world, user_id: int, plan, days: int = 30) -> SubscriptionPeriod:
    payment = world.payment(user_id=user_id, plan=plan, status=PaymentStatus.COMPLETED)
    with Session(world.engine, expire_on_commit=False) as session:
        period = grant_period(
            session,
            user_id=user_id,
            plan_id=plan.id,
            payment_id=payment.id,
            duration_days=days,
            now=world.now(),
            mode=world.settings.khalti_env,
        )
        session.commit()
        return period


@pytest.fixture
def plan(world):
    return world.plan("basic", price_paisa=49_900, duration_days=30)


# -- flagged → grant ----------------------------------------------------------------------------------------


def test_accepting_a_flagged_payment_grants_one_period_and_one_transition(world, plan):
    admin = world.user("admin_dec")
    payment = flagged(world, plan)

    outcome = grant_flagged(payment.id, actor_user_id=admin, reason=REASON, deps=world.deps)

    assert outcome.ok, outcome.message
    assert outcome.ends_at == world.now() + 30 * DAY
    # The admin chose no calendar: the site's default (`both` unless DEFAULT_CALENDAR says otherwise).
    ends = format_moment(world.now() + 30 * DAY, site_calendar())
    assert outcome.message == f"Accepted order {payment.purchase_order_id}: access until {ends}."
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.completed_at) == ("completed", world.now())
    [period] = world.rows(SubscriptionPeriod)
    assert (period.payment_id, period.user_id, period.plan_id) == (payment.id, payment.user_id, plan.id)
    assert (period.granted_by, period.note) == (admin, REASON)
    [event] = world.rows(PaymentEvent)
    assert (event.kind, event.source, event.actor_user_id) == ("transition", "admin", admin)
    assert (event.from_status, event.to_status, event.payment_id) == ("flagged", "completed", payment.id)
    assert REASON in event.detail

    again = grant_flagged(payment.id, actor_user_id=admin, reason=REASON, deps=world.deps)
    assert not again.ok and "completed, not flagged" in again.message
    assert len(world.rows(SubscriptionPeriod)) == 1 and len(world.rows(PaymentEvent)) == 1


async def test_two_admins_accepting_at_once_grant_exactly_once(world, plan):
    payment = flagged(world, plan)
    admins = [world.user() for _ in range(6)]

    outcomes = await asyncio.gather(
        *[asyncio.to_thread(grant_flagged, payment.id, actor_user_id=a, reason=REASON, deps=world.deps) for a in admins]
    )

    assert sum(o.ok for o in outcomes) == 1
    assert len(world.rows(SubscriptionPeriod)) == 1
    assert len(world.rows(PaymentEvent, PaymentEvent.kind == "transition")) == 1


def test_a_flagged_payment_that_kept_its_period_keeps_it_and_gets_no_second(world, plan):
    # Completed, period granted, then Khalti reported a partial refund: flagged with access kept.
    user = world.user()
    period = paid_period(world, user, plan)
    with Session(world.engine) as session:
        session.get(Payment, period.payment_id).status = PaymentStatus.FLAGGED.value
        session.commit()

    outcome = grant_flagged(period.payment_id, actor_user_id=world.user(), reason=REASON, deps=world.deps)

    assert outcome.ok and outcome.ends_at == period.ends_at
    assert [p.id for p in world.rows(SubscriptionPeriod)] == [period.id]
    assert world.get(Payment, period.payment_id).status == "completed"


def test_a_flagged_payment_whose_period_was_revoked_gets_a_fresh_period(world, plan):
    user = world.user()
    period = paid_period(world, user, plan)
    with Session(world.engine) as session:
        session.get(Payment, period.payment_id).status = PaymentStatus.FLAGGED.value
        revoke_period(
            session,
            session.get(SubscriptionPeriod, period.id),
            now=world.now(),
            reason="test",
            mode=world.settings.khalti_env,
        )
        session.commit()

    outcome = grant_flagged(period.payment_id, actor_user_id=world.user(), reason=REASON, deps=world.deps)

    assert outcome.ok
    fresh = world.rows(SubscriptionPeriod, SubscriptionPeriod.revoked_at.is_(None))
    assert len(fresh) == 1 and fresh[0].payment_id is None
    assert f"payment #{period.payment_id}" in fresh[0].note
    assert expires_at(user, deps=world.deps) == world.now() + 30 * DAY


@pytest.mark.parametrize("status", ["pending", "completed", "refunded", "canceled"])
def test_only_flagged_payments_can_be_accepted(world, plan, status):
    payment = world.payment(user_id=world.user(), plan=plan, status=PaymentStatus(status))
    before = snapshot(world)
    outcome = grant_flagged(payment.id, actor_user_id=world.user(), reason=REASON, deps=world.deps)
    assert not outcome.ok and f"{status}, not flagged" in outcome.message
    assert snapshot(world) == before


@pytest.mark.parametrize("bad_id", [0, -3, True, 2.5, "x", None, 987_654])
def test_accepting_an_unknown_payment_is_refused(world, plan, bad_id):
    before = snapshot(world)
    outcome = grant_flagged(bad_id, actor_user_id=world.user(), reason=REASON, deps=world.deps)
    assert not outcome.ok and "no such payment" in outcome.message
    assert snapshot(world) == before


# -- a reason is required, everywhere --------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  \n ", None, 7, "r" * 501])
def test_every_decision_refuses_a_missing_or_overlong_reason(world, plan, reason):
    user = world.user("target_user")
    payment = flagged(world, plan, user)
    paid_period(world, user, plan)
    admin = world.user()
    before = snapshot(world)
    outcomes = [
        grant_flagged(payment.id, actor_user_id=admin, reason=reason, deps=world.deps),
        grant_access("target_user", 10, actor_user_id=admin, reason=reason, deps=world.deps),
        extend_access("target_user", 10, actor_user_id=admin, reason=reason, deps=world.deps),
        revoke_access("target_user", actor_user_id=admin, reason=reason, deps=world.deps),
    ]
    assert all(not o.ok and "reason" in o.message for o in outcomes)
    assert snapshot(world) == before


async def test_refund_flagged_refuses_a_missing_reason_before_asking_khalti(world, plan):
    payment = flagged(world, plan)
    before = snapshot(world)
    outcome = await access.refund_flagged(payment.id, actor_user_id=world.user(), reason=" ", deps=world.deps)
    assert outcome.kind == "invalid" and "reason" in outcome.message
    assert snapshot(world) == before


def test_a_reason_of_exactly_500_characters_is_fine(world, plan):
    outcome = grant_access(world.user("edge"), 1, actor_user_id=world.user(), reason="r" * 500, deps=world.deps)
    assert outcome.ok


# -- access by hand -------------------------------------------------------------------------------------


def test_grant_gives_n_days_from_now_without_a_payment(world):
    admin, user = world.user("granting_admin"), world.user("newbie")

    outcome = grant_access("newbie", "14", actor_user_id=admin, reason="partner account", deps=world.deps)

    assert outcome.ok and outcome.user_id == user
    assert (
        outcome.message
        == f"Granted newbie's access by 14 days: now until {format_moment(world.now() + 14 * DAY, site_calendar())}."
    )
    [period] = world.rows(SubscriptionPeriod)
    assert (period.starts_at, period.ends_at) == (world.now(), world.now() + 14 * DAY)
    assert (period.payment_id, period.plan_id, period.granted_by, period.note) == (None, None, admin, "partner account")
    assert summary(user, deps=world.deps).plan_name == "Subscription"
    [event] = world.rows(PaymentEvent)
    assert (event.kind, event.source, event.actor_user_id, event.user_id, event.payment_id) == (
        "grant",
        "admin",
        admin,
        user,
        None,
    )
    assert "14 days" in event.detail and "partner account" in event.detail and f"#{period.id}" in event.detail


@pytest.mark.parametrize(
    ("calendar", "until"),
    [
        # The world's clock is 15 Jan 2026, 12:15 PM NPT; 14 days on is 29 Jan 2026 = 15 Magh 2082 (nepali-datetime:
        # Magh 2082 begins 15 Jan 2026).
        ("ad", "29 Jan 2026, 12:15 PM NPT"),
        ("bs", "15 Magh 2082, 12:15 PM NPT"),
        ("both", "15 Magh 2082 (29 Jan 2026), 12:15 PM NPT"),
    ],
)
def test_the_answer_is_written_in_the_acting_admins_calendar(world, plan, calendar, until):
    admin = world.user("reader")
    assert set_calendar(admin, calendar, engine=world.engine) is None
    world.user("calendar_user")
    granted = grant_access("calendar_user", 14, actor_user_id=admin, reason="goodwill", deps=world.deps)
    assert granted.message == f"Granted calendar_user's access by 14 days: now until {until}."
    payment = flagged(world, plan)
    accepted = grant_flagged(payment.id, actor_user_id=admin, reason=REASON, deps=world.deps)
    # The flagged payment's period stacks after the 14 days granted: its end is written the same way.
    assert accepted.message == (
        f"Accepted order {payment.purchase_order_id}: access until "
        f"{format_moment(accepted.ends_at, Calendar(calendar))}."
    )


def test_grant_stacks_after_the_current_expiry(world, plan):
    user = world.user("stacker")
    paid = paid_period(world, user, plan)
    world.clock.advance(10 * DAY)
    outcome = grant_access(user, 5, actor_user_id=world.user(), reason="goodwill", deps=world.deps)
    assert outcome.ends_at == paid.ends_at + 5 * DAY


def test_extend_adds_days_to_the_access_and_keeps_the_plan(world, plan):
    user = world.user("extendee")
    paid = paid_period(world, user, plan)
    admin = world.user()

    outcome = extend_access("extendee", 7, actor_user_id=admin, reason="outage compensation", deps=world.deps)

    assert outcome.ok and outcome.message.startswith("Extended extendee's access by 7 days")
    assert expires_at(user, deps=world.deps) == paid.ends_at + 7 * DAY
    extra = world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id.is_(None))[0]
    assert (extra.plan_id, extra.starts_at, extra.granted_by) == (plan.id, paid.ends_at, admin)
    [event] = world.rows(PaymentEvent)
    assert (event.kind, event.actor_user_id, event.user_id) == ("extend", admin, user)
    assert "outage compensation" in event.detail


def test_extend_after_expiry_starts_now(world, plan):
    user = world.user()
    paid_period(world, user, plan, days=3)
    world.clock.advance(20 * DAY)
    outcome = extend_access(f"#{user}", 1, actor_user_id=world.user(), reason="late goodwill", deps=world.deps)
    assert outcome.ends_at == world.now() + DAY


def test_revoke_ends_current_and_upcoming_periods_and_grace(world, plan):
    user, other = world.user("revokee"), world.user("bystander")
    paid_period(world, user, plan, days=2)  # will be in grace
    world.clock.advance(2 * DAY + timedelta(hours=1))
    current = paid_period(world, user, plan)
    upcoming = paid_period(world, user, plan)
    theirs = paid_period(world, other, plan)
    admin = world.user()
    assert is_active(user, deps=world.deps)

    outcome = revoke_access("revokee", actor_user_id=admin, reason="chargeback fraud", deps=world.deps)

    assert outcome.ok and "3 periods" in outcome.message
    assert not is_active(user, deps=world.deps)
    assert expires_at(user, deps=world.deps) is None
    revoked = world.rows(SubscriptionPeriod, SubscriptionPeriod.user_id == user)
    assert all(p.revoked_at == world.now() and "chargeback fraud" in p.revoke_reason for p in revoked)
    # Revoked latest first: nothing was shifted on the way.
    assert world.get(SubscriptionPeriod, upcoming.id).starts_at == current.ends_at
    assert world.get(SubscriptionPeriod, theirs.id).revoked_at is None
    # The payments are untouched: revoking refunds nothing.
    assert {p.status for p in world.rows(Payment)} == {"completed"}
    [event] = world.rows(PaymentEvent)
    assert (event.kind, event.source, event.actor_user_id, event.user_id) == ("revoke", "admin", admin, user)
    assert "chargeback fraud" in event.detail


def test_revoke_leaves_long_ended_periods_alone_and_refuses_when_there_is_no_access(world, plan):
    user = world.user("lapsed")
    old = paid_period(world, user, plan, days=1)
    world.clock.advance(30 * DAY)
    before = snapshot(world)
    outcome = revoke_access(user, actor_user_id=world.user(), reason="cleanup", deps=world.deps)
    assert not outcome.ok and outcome.message == "lapsed has no access to revoke."
    assert snapshot(world) == before
    assert world.get(SubscriptionPeriod, old.id).revoked_at is None


# -- who and how many days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", "alice"),
        ("  alice ", "alice"),
        ("#ALICE_ID", "alice"),
        ("ALICE_ID", "alice"),
        ("ALICE", "alice"),
        ("4242", "4242"),
    ],
)
def test_users_are_found_by_name_or_id(world, who, expected):
    alice = world.user("alice")
    world.user("4242")  # a username made of digits wins over the user id 4242
    who = who.replace("ALICE_ID", str(alice)) if isinstance(who, str) else who
    with Session(world.engine) as session:
        found = find_user(session, alice if who == "ALICE" else who)
    assert isinstance(found, tuple) and found[1] == expected


@pytest.mark.parametrize("who", ["", "   ", "nobody", "#999999", "#abc", "#", None, 3.0, True, "x" * 300])
def test_unknown_users_are_refused_with_a_message(world, who):
    world.user("somebody")
    before = snapshot(world)
    outcome = grant_access(who, 3, actor_user_id=world.user(), reason="test", deps=world.deps)
    assert not outcome.ok and outcome.message
    assert snapshot(world) == before


@pytest.mark.parametrize("days", [0, -1, 3651, "", "abc", "1.5", "١٢", True, None, 2.0, "99999999"])
def test_days_must_be_a_whole_number_from_1_to_3650(world, days):
    world.user("dayz")
    before = snapshot(world)
    outcome = grant_access("dayz", days, actor_user_id=world.user(), reason="test", deps=world.deps)
    assert not outcome.ok and "1 to 3650" in outcome.message
    assert snapshot(world) == before
