"""What the catalog, checkout and dashboard ask billing: the window a payment buys, the plan in use, pending pidx."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from khalti_portal.billing import subscription
from khalti_portal.billing.periods import grant_period
from khalti_portal.db.models import PaymentStatus


def _grant(world, user_id: int, plan, days: int, *, at) -> None:
    with Session(world.engine) as session:
        grant_period(
            session,
            user_id=user_id,
            plan_id=plan.id,
            payment_id=None,
            duration_days=days,
            now=at,
            mode=world.settings.khalti_env,
        )
        session.commit()


def test_window_starts_now_without_access_and_at_expiry_when_renewing(sqlite_world) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan(duration_days=30)
    fresh = subscription.next_period_window(user, 30, deps=w.deps)
    assert (fresh.starts_at, fresh.ends_at, fresh.renewing) == (w.t0, w.t0 + timedelta(days=30), False)
    _grant(w, user, plan, 30, at=w.t0)
    w.clock.advance(timedelta(days=20))
    early = subscription.next_period_window(user, 30, deps=w.deps)
    assert (early.starts_at, early.ends_at, early.renewing) == (
        w.t0 + timedelta(days=30),
        w.t0 + timedelta(days=60),
        True,
    )


def test_current_plan_slug_follows_access_and_grace(sqlite_world) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan("standard", duration_days=10)
    assert subscription.current_plan_slug(user, deps=w.deps) is None
    _grant(w, user, plan, 10, at=w.t0)
    assert subscription.current_plan_slug(user, deps=w.deps) == "standard"
    w.clock.advance(timedelta(days=10 + w.settings.grace_days))  # last instant of grace
    assert subscription.current_plan_slug(user, deps=w.deps) == "standard"
    w.clock.advance(timedelta(seconds=1))
    assert subscription.current_plan_slug(user, deps=w.deps) is None


def test_pending_pidxs_lists_only_this_users_pending_payments(sqlite_world) -> None:
    w = sqlite_world
    me, other, plan = w.user(), w.user(), w.plan()
    mine = w.payment(user_id=me, plan=plan)
    w.payment(user_id=me, plan=plan, status=PaymentStatus.COMPLETED)
    w.payment(user_id=other, plan=plan)
    assert subscription.pending_pidxs(me, deps=w.deps) == [mine.pidx]


def test_current_plan_is_the_running_period_not_an_already_paid_later_one(sqlite_world) -> None:
    w = sqlite_world
    user, basic, premium = w.user(), w.plan("basic", duration_days=10), w.plan("premium", duration_days=30)
    _grant(w, user, basic, 10, at=w.t0)
    _grant(w, user, premium, 30, at=w.t0)  # bought early: starts when basic ends
    assert subscription.current_plan_slug(user, deps=w.deps) == "basic"
    w.clock.advance(timedelta(days=10))
    assert subscription.current_plan_slug(user, deps=w.deps) == "premium"
