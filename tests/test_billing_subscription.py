"""Periods that stack, status at the exact boundary instants, and the queries that match the predicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from khalti_portal.billing import subscription as sub
from khalti_portal.billing.nepal_time import format_nepal, iso_utc
from khalti_portal.billing.periods import grant_period, revoke_period
from khalti_portal.billing.subscription import SubscriptionStatus, status_at
from khalti_portal.db.models import SubscriptionPeriod

pytest_plugins = ["tests.db_fixtures"]

DAY = timedelta(days=1)
E = datetime(2026, 12, 26, 12, 0, tzinfo=UTC)  # 26 Dec 2026, 5:45 PM in Kathmandu
US = timedelta(microseconds=1)


def grant(world, user_id, days, *, plan_id=None, payment_id=None, note=None):
    with Session(world.engine, expire_on_commit=False) as session:
        period = grant_period(
            session,
            user_id=user_id,
            plan_id=plan_id,
            payment_id=payment_id,
            duration_days=days,
            now=world.now(),
            mode=world.settings.khalti_env,
            note=note,
        )
        session.commit()
        return period


# -- stacking -----------------------------------------------------------------------------------------


def test_first_period_starts_now(world):
    user_id = world.user()
    period = grant(world, user_id, 30)
    assert (period.starts_at, period.ends_at) == (world.now(), world.now() + 30 * DAY)


def test_renewing_ten_days_early_ends_one_duration_after_the_old_expiry(world):
    user_id = world.user()
    first = grant(world, user_id, 30)
    world.clock.advance(20 * DAY)  # 10 days left
    second = grant(world, user_id, 30)
    assert second.starts_at == first.ends_at
    assert second.ends_at == first.ends_at + 30 * DAY
    assert sub.expires_at(user_id, deps=world.deps) == first.ends_at + 30 * DAY


def test_renewing_after_expiry_starts_now(world):
    user_id = world.user()
    first = grant(world, user_id, 30)
    world.clock.advance(31 * DAY)  # in grace: one day after expiry
    second = grant(world, user_id, 30)
    assert second.starts_at == world.now() > first.ends_at
    assert second.ends_at == world.now() + 30 * DAY


def test_revoked_periods_do_not_count_towards_the_stack(world):
    user_id = world.user()
    first = grant(world, user_id, 30)
    with Session(world.engine) as session:
        revoke_period(
            session,
            session.get(SubscriptionPeriod, first.id),
            now=world.now(),
            reason="test",
            mode=world.settings.khalti_env,
        )
        session.commit()
    assert sub.expires_at(user_id, deps=world.deps) is None
    second = grant(world, user_id, 7)
    assert second.starts_at == world.now()


def test_revoking_an_early_period_moves_the_later_ones_up(world):
    user_id = world.user()
    a = grant(world, user_id, 30)
    b = grant(world, user_id, 90)
    world.clock.advance(10 * DAY)
    with Session(world.engine) as session:
        moved = revoke_period(
            session,
            session.get(SubscriptionPeriod, a.id),
            now=world.now(),
            reason="refunded",
            mode=world.settings.khalti_env,
        )
        session.commit()
    assert moved == 1
    later = world.get(SubscriptionPeriod, b.id)
    # A's 20 unused days are gone; B now starts today instead of in 20 days and keeps its 90 days.
    assert (later.starts_at, later.ends_at) == (world.now(), world.now() + 90 * DAY)
    assert sub.status(user_id, deps=world.deps) is SubscriptionStatus.ACTIVE
    assert sub.current_period(user_id, deps=world.deps).id == b.id


def test_revoking_a_period_that_already_ended_moves_nothing(world):
    user_id = world.user()
    a = grant(world, user_id, 1)
    world.clock.advance(5 * DAY)
    b = grant(world, user_id, 30)
    with Session(world.engine) as session:
        moved = revoke_period(
            session,
            session.get(SubscriptionPeriod, a.id),
            now=world.now(),
            reason="late refund",
            mode=world.settings.khalti_env,
        )
        session.commit()
    assert moved == 0
    assert world.get(SubscriptionPeriod, b.id).starts_at == b.starts_at


def test_a_period_lasts_at_least_a_day(world):
    with Session(world.engine) as session, pytest.raises(ValueError, match="at least one day"):
        grant_period(
            session, user_id=1, plan_id=None, payment_id=None, duration_days=0, now=world.now(), mode="emulator"
        )


# -- status at the exact instants ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (E - 30 * DAY, SubscriptionStatus.ACTIVE),
        (E - 7 * DAY - timedelta(seconds=1), SubscriptionStatus.ACTIVE),  # 7 days + 1 s left
        (E - 7 * DAY - US, SubscriptionStatus.ACTIVE),
        (E - 7 * DAY, SubscriptionStatus.EXPIRING),  # exactly 7 days left
        (E - US, SubscriptionStatus.EXPIRING),
        (E, SubscriptionStatus.GRACE),  # exactly at expiry
        (E + 3 * DAY, SubscriptionStatus.GRACE),  # expiry + grace days
        (E + 3 * DAY + US, SubscriptionStatus.EXPIRED),
        (E + 365 * DAY, SubscriptionStatus.EXPIRED),
    ],
)
def test_status_boundaries(now, expected):
    assert status_at(E, now, grace_days=3) is expected


def test_no_period_is_none():
    assert status_at(None, E, grace_days=3) is SubscriptionStatus.NONE


def test_zero_grace_days_leaves_only_the_expiry_instant():
    assert status_at(E, E, grace_days=0) is SubscriptionStatus.GRACE
    assert status_at(E, E + US, grace_days=0) is SubscriptionStatus.EXPIRED


@pytest.mark.parametrize(
    ("offset", "status", "active", "grace", "days_left"),
    [
        (-7 * DAY - timedelta(seconds=1), "active", True, False, 8),
        (-7 * DAY, "expiring", True, False, 7),
        (-timedelta(hours=1), "expiring", True, False, 1),
        (timedelta(0), "grace", True, True, 0),
        (3 * DAY, "grace", True, True, 0),
        (3 * DAY + US, "expired", False, False, 0),
    ],
)
def test_predicates_and_summary_on_the_database(make_world, db_engine, offset, status, active, grace, days_left):
    world = make_world(db_engine)
    user_id = world.user()
    world.clock.set(E - 30 * DAY)
    plan = world.plan("basic", duration_days=30)
    payment = world.payment(user_id=user_id, plan=plan)
    grant(world, user_id, 30, plan_id=plan.id, payment_id=payment.id)
    now = E + offset
    deps = world.deps

    assert sub.expires_at(user_id, deps=deps) == E
    assert sub.status(user_id, now, deps=deps) == status
    assert sub.is_active(user_id, now, deps=deps) is active
    assert sub.on_grace_period(user_id, now, deps=deps) is grace
    summary = sub.summary(user_id, now, deps=deps)
    assert (summary.status, summary.plan_name, summary.expires_at, summary.days_left) == (status, "Basic", E, days_left)
    assert summary.expires_at_iso == "2026-12-26T12:00:00Z"
    # The matching queries agree with the predicates at the same instant.
    with Session(world.engine) as session:
        for wanted in SubscriptionStatus:
            ids = set(session.exec(sub.status_query(wanted, now, 3, world.settings.khalti_env)).all())
            assert (user_id in ids) is (wanted == status), wanted
        assert (user_id in set(session.exec(sub.active_query(now, 3, world.settings.khalti_env)).all())) is active
        assert (
            user_id in set(session.exec(sub.on_grace_period_query(now, 3, world.settings.khalti_env)).all())
        ) is grace


def test_predicates_default_to_the_clock(world):
    user_id = world.user()
    grant(world, user_id, 30)
    assert sub.status(user_id, deps=world.deps) is SubscriptionStatus.ACTIVE
    world.clock.advance(30 * DAY)
    assert sub.on_grace_period(user_id, deps=world.deps)
    world.clock.advance(3 * DAY + US)
    assert not sub.is_active(user_id, deps=world.deps)


def test_a_user_without_periods(world):
    user_id = world.user()
    summary = sub.summary(user_id, deps=world.deps)
    assert (summary.status, summary.plan_name, summary.expires_at, summary.days_left) == ("none", None, None, 0)
    assert summary.expires_at_iso is None
    assert summary.upcoming == ()
    assert sub.current_period(user_id, deps=world.deps) is None
    with Session(world.engine) as session:
        assert user_id in set(
            session.exec(sub.status_query(SubscriptionStatus.NONE, world.now(), 3, world.settings.khalti_env)).all()
        )


# -- current, upcoming, summary, history --------------------------------------------------------------


def test_current_and_upcoming_periods(world):
    user_id = world.user()
    basic = world.plan("basic", duration_days=30)
    premium = world.plan("premium", price_paisa=499_900, duration_days=365)
    pay_basic = world.payment(user_id=user_id, plan=basic)
    pay_premium = world.payment(user_id=user_id, plan=premium)
    now_period = grant(world, user_id, 30, plan_id=basic.id, payment_id=pay_basic.id)
    world.clock.advance(5 * DAY)
    later = grant(world, user_id, 365, plan_id=premium.id, payment_id=pay_premium.id)
    gift = grant(world, user_id, 7, note="admin gift")

    current = sub.current_period(user_id, deps=world.deps)
    assert (current.id, current.plan_name, current.payment_id) == (now_period.id, "Basic", pay_basic.id)
    upcoming = sub.upcoming_periods(user_id, deps=world.deps)
    assert [(p.id, p.plan_name) for p in upcoming] == [(later.id, "Premium"), (gift.id, "Subscription")]
    assert upcoming[0].starts_at == now_period.ends_at

    summary = sub.summary(user_id, deps=world.deps)
    assert summary.status is SubscriptionStatus.ACTIVE
    assert summary.plan_name == "Basic"
    assert summary.expires_at == gift.ends_at
    assert summary.days_left == 25 + 365 + 7
    assert [p.id for p in summary.upcoming] == [later.id, gift.id]


def test_history_is_newest_first(world):
    user_id = world.user()
    other = world.user()
    plan = world.plan()
    first = world.payment(user_id=user_id, plan=plan)
    world.clock.advance(DAY)
    second = world.payment(user_id=user_id, plan=plan)
    world.payment(user_id=other, plan=plan)

    records = sub.history(user_id, deps=world.deps)

    assert [r.purchase_order_id for r in records] == [second.purchase_order_id, first.purchase_order_id]
    top = records[0]
    assert (top.date, top.plan_name, top.amount_paisa, top.status, top.transaction_id) == (
        world.now(),
        "Basic",
        49_900,
        "pending",
        None,
    )
    assert len(sub.history(user_id, limit=1, deps=world.deps)) == 1


def test_expiry_is_shown_in_nepal_time():
    assert format_nepal(E) == "26 Dec 2026, 5:45 PM NPT"
    assert iso_utc(E) == "2026-12-26T12:00:00Z"


def test_stored_datetimes_come_back_aware_utc(world):
    user_id = world.user()
    period = grant(world, user_id, 1)
    stored = world.get(SubscriptionPeriod, period.id)
    assert stored.starts_at.utcoffset() == timedelta(0) and stored.starts_at == world.now()
