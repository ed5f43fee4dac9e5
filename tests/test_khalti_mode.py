"""Each payment keeps the Khalti mode it was made in; only periods paid in the current mode (or granted by an
admin) give access. Every test runs on SQLite and on PostgreSQL (the `world` fixture).

A "sandbox" world and a "live" world share one database and one clock: that is the portal restarted with
another KHALTI_ENV. Switching to live starts clean; switching back finds the test data again.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from khalti_portal.billing import subscription
from khalti_portal.billing.admin import payments as admin_payments
from khalti_portal.billing.admin import plans as plan_admin
from khalti_portal.billing.admin import reports
from khalti_portal.billing.admin.access import grant_access, grant_flagged, revoke_access
from khalti_portal.billing.admin.refunds import refund_payment
from khalti_portal.billing.checkout import start_checkout
from khalti_portal.billing.reconcile import reconcile_once
from khalti_portal.billing.subscription import SubscriptionStatus
from khalti_portal.billing.verification import verify_payment
from khalti_portal.config import get_settings
from khalti_portal.db.models import Payment, PaymentStatus, SubscriptionPeriod
from khalti_portal.db.session import make_engine
from tests.db_fixtures import BillingWorld
from tests.migration_support import upgrade

DAYS_30 = timedelta(days=30)
REASON = "customer asked on the phone"


def live_twin(world: BillingWorld) -> BillingWorld:
    """The same database and clock, the portal restarted with KHALTI_ENV=live."""
    return BillingWorld(world.engine, world.clock, KHALTI_ENV="live")


def answer_lookup(khalti, payment: Payment, status: str = "Completed") -> None:
    body = BillingWorld.lookup_body(payment.pidx, status, payment.amount_paisa, transaction_id=f"TXN_{payment.id}")
    khalti.routes["lookup"].mock(return_value=httpx.Response(200, json=body))


async def paid_in_sandbox(world: BillingWorld, khalti, user_id: int, plan) -> Payment:
    """A sandbox payment completed through verify_payment: it grants its period in sandbox mode."""
    payment = world.payment(user_id=user_id, plan=plan)
    answer_lookup(khalti, payment)
    outcome = await verify_payment(payment.pidx, source="return", deps=world.deps)
    assert (outcome.status, outcome.changed) == ("completed", True)
    return world.get(Payment, payment.id)


@pytest.fixture
def sandbox(world):
    """The sandbox world, a subscriber and a Rs 499 / 30-day plan."""
    assert world.settings.khalti_env == "sandbox"
    return world, world.user(), world.plan("basic", price_paisa=49_900, duration_days=30)


async def test_a_test_mode_period_gives_no_access_in_live(sandbox, khalti) -> None:
    world, user_id, plan = sandbox
    await paid_in_sandbox(world, khalti, user_id, plan)
    assert subscription.status(user_id, deps=world.deps) is SubscriptionStatus.ACTIVE

    live = live_twin(world)
    assert subscription.status(user_id, deps=live.deps) is SubscriptionStatus.NONE
    assert not subscription.is_active(user_id, deps=live.deps)
    assert subscription.expires_at(user_id, deps=live.deps) is None
    assert subscription.current_plan_slug(user_id, deps=live.deps) is None
    summary = subscription.summary(user_id, deps=live.deps)
    assert (summary.status, summary.plan_name, summary.expires_at) == (SubscriptionStatus.NONE, None, None)
    assert subscription.history(user_id, deps=live.deps) == []  # live starts with a clean history
    assert subscription.next_period_window(user_id, 30, deps=live.deps).starts_at == live.now()  # nothing to stack on
    # The admin figures agree: no subscriber, no revenue, on the plan or anywhere.
    figures = reports.figures(deps=live.deps)
    assert (figures.active_subscribers, figures.gross_paisa, figures.expiring_soon) == (0, 0, 0)
    assert plan_admin.list_plans_for_admin(deps=live.deps)[0].active_subscribers == 0
    with Session(world.engine) as session:
        mode = live.settings.khalti_env
        assert user_id not in session.exec(subscription.active_query(live.now(), 3, mode)).all()
        assert user_id in session.exec(subscription.status_query(SubscriptionStatus.NONE, live.now(), 3, mode)).all()

    # Back in sandbox mode the test data is all there again.
    assert subscription.status(user_id, deps=world.deps) is SubscriptionStatus.ACTIVE
    assert reports.figures(deps=world.deps).active_subscribers == 1
    assert [r.status for r in subscription.history(user_id, deps=world.deps)] == ["completed"]


async def test_admin_grants_count_in_every_mode_and_live_stacks_only_on_what_counts(sandbox, khalti) -> None:
    world, user_id, plan = sandbox
    await paid_in_sandbox(world, khalti, user_id, plan)  # sandbox access until t0 + 30 days
    live = live_twin(world)
    admin = live.user()

    granted = grant_access(user_id, 5, actor_user_id=admin, reason=REASON, deps=live.deps)
    # The grant starts now in live: the sandbox period is not access there, so nothing is stacked on it.
    assert granted.ok and granted.ends_at == live.now() + timedelta(days=5)
    assert subscription.status(user_id, deps=live.deps) is SubscriptionStatus.EXPIRING

    live_payment = live.payment(user_id=user_id, plan=plan)
    assert live_payment.khalti_mode == "live"
    answer_lookup(khalti, live_payment)
    outcome = await verify_payment(live_payment.pidx, source="return", deps=live.deps)
    assert outcome.period_ends_at == live.now() + timedelta(days=35)  # after the grant, not after the sandbox period
    assert subscription.expires_at(user_id, deps=live.deps) == live.now() + timedelta(days=35)

    # In sandbox mode: its own period and the admin's grant count, the live payment's period does not.
    assert subscription.expires_at(user_id, deps=world.deps) == world.now() + DAYS_30
    upcoming = subscription.upcoming_periods(user_id, deps=world.deps)
    assert upcoming == []  # the live period (starting at +5 days) is not shown in sandbox mode


async def test_verify_payment_of_another_mode_asks_nothing_and_grants_nothing(sandbox, khalti) -> None:
    world, user_id, plan = sandbox
    payment = world.payment(user_id=user_id, plan=plan)
    answer_lookup(khalti, payment)
    live = live_twin(world)

    outcome = await verify_payment(payment.pidx, source="return", deps=live.deps)

    assert (outcome.status, outcome.kind, outcome.changed) == ("not_found", "not_found", False)
    assert khalti.routes["lookup"].call_count == 0  # the live key is never sent about a test payment
    assert world.get(Payment, payment.id).status == "pending"
    assert world.rows(SubscriptionPeriod) == []
    assert subscription.pending_pidxs(user_id, deps=live.deps) == []
    # In its own mode it completes as usual.
    assert subscription.pending_pidxs(user_id, deps=world.deps) == [payment.pidx]
    assert (await verify_payment(payment.pidx, source="return", deps=world.deps)).status == "completed"


async def test_the_reconciler_leaves_other_modes_payments_alone(sandbox, khalti) -> None:
    world, user_id, plan = sandbox
    pending = world.payment(user_id=user_id, plan=plan)
    created = world.payment(user_id=user_id, plan=plan, status=PaymentStatus.CREATED)
    world.clock.advance(timedelta(minutes=10))  # both are due: settled, and past CREATED_TIMEOUT_SECONDS
    answer_lookup(khalti, pending)
    live = live_twin(world)

    dry = await reconcile_once(deps=live.deps, dry_run=True)
    report = await reconcile_once(deps=live.deps)

    assert (dry.due, dry.created_failed) == (0, 0)
    assert (report.claimed, report.created_failed, report.left_for_admin) == (0, 0, 0)
    assert khalti.routes["lookup"].call_count == 0
    assert world.get(Payment, pending.id).status == "pending" and world.get(Payment, pending.id).check_count == 0
    assert world.get(Payment, created.id).status == "created"
    # Back in sandbox mode the same run settles both.
    report = await reconcile_once(deps=world.deps)
    assert (report.claimed, report.completed, report.created_failed) == (1, 1, 1)


async def test_refunds_and_flag_decisions_leave_other_modes_payments_alone(sandbox, khalti) -> None:
    world, user_id, plan = sandbox
    paid = await paid_in_sandbox(world, khalti, user_id, plan)
    flagged = world.payment(user_id=user_id, plan=plan, status=PaymentStatus.FLAGGED)
    live = live_twin(world)
    admin = live.user()

    refund = await refund_payment(paid.id, actor_user_id=admin, reason=REASON, deps=live.deps)
    accept = grant_flagged(flagged.id, actor_user_id=admin, reason=REASON, deps=live.deps)

    assert (refund.kind, refund.ok) == ("not_refundable", False)
    assert "sandbox mode" in refund.message and "live mode" in refund.message
    assert khalti.routes["refund"].call_count == 0
    assert not accept.ok and "sandbox mode" in accept.message
    assert world.get(Payment, paid.id).status == "completed"
    assert world.get(Payment, flagged.id).status == "flagged"
    assert len(world.rows(SubscriptionPeriod)) == 1


async def test_the_admin_list_shows_only_this_modes_payments(sandbox, khalti) -> None:
    world, user_id, plan = sandbox
    paid = await paid_in_sandbox(world, khalti, user_id, plan)
    live = live_twin(world)
    everything = admin_payments.make_filter()
    assert not isinstance(everything, str)

    assert admin_payments.list_payments(everything, deps=live.deps).total == 0
    assert admin_payments.export_csv(everything, deps=live.deps).rows == 0
    assert admin_payments.payment_detail(paid.id, deps=live.deps) is None  # so "Check now" cannot reach it
    assert reports.figures(deps=live.deps).pending == 0

    assert [row.id for row in admin_payments.list_payments(everything, deps=world.deps).rows] == [paid.id]
    assert admin_payments.payment_detail(paid.id, deps=world.deps) is not None


async def test_revoking_access_in_live_leaves_the_test_periods_alone(sandbox, khalti) -> None:
    world, user_id, plan = sandbox
    await paid_in_sandbox(world, khalti, user_id, plan)
    live = live_twin(world)
    admin = live.user()

    assert not revoke_access(user_id, actor_user_id=admin, reason=REASON, deps=live.deps).ok  # no access in live
    assert grant_access(user_id, 5, actor_user_id=admin, reason=REASON, deps=live.deps).ok
    assert revoke_access(user_id, actor_user_id=admin, reason=REASON, deps=live.deps).ok

    assert subscription.status(user_id, deps=live.deps) is SubscriptionStatus.NONE
    assert subscription.expires_at(user_id, deps=world.deps) == world.now() + DAYS_30  # sandbox period untouched


async def test_checkout_records_the_mode_it_runs_in(world, khalti) -> None:
    live = live_twin(world)
    user_id = live.user()
    live.plan("basic", price_paisa=49_900, duration_days=30)
    khalti.routes["initiate"].mock(
        return_value=httpx.Response(
            200,
            json={
                "pidx": "PIDX_LIVE",
                "payment_url": "https://pay.khalti.test/?pidx=PIDX_LIVE",
                "expires_at": "2026-01-15T07:30:00+05:45",
                "expires_in": 3600,
            },
        )
    )

    outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=live.deps)

    assert outcome.ok
    assert world.get(Payment, outcome.payment_id).khalti_mode == "live"
    # A second click within the minute in another mode does not reuse the live link.
    khalti.routes["initiate"].mock(
        return_value=httpx.Response(
            200,
            json={
                "pidx": "PIDX_SANDBOX",
                "payment_url": "https://pay.khalti.test/?pidx=PIDX_SANDBOX",
                "expires_at": "2026-01-15T07:30:00+05:45",
                "expires_in": 3600,
            },
        )
    )
    again = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    assert not again.reused and world.get(Payment, again.payment_id).khalti_mode == "sandbox"


# -- the migration ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path) -> Engine:
    if request.param == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'upgrade.db'}")
    return request.getfixturevalue("pg_empty_engine")


def test_the_migration_marks_existing_payments_with_the_configured_mode(empty_engine, monkeypatch) -> None:
    upgrade(empty_engine, "4142a4fc01f0")  # the schema before payments had a mode
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO localuser (id, username, password_hash, enabled) VALUES (1, 'u', 'x', true)"))
        conn.execute(
            text(
                "INSERT INTO plan (id, slug, name, description, features, price_paisa, duration_days, is_active,"
                " sort_order, created_at, updated_at) VALUES (1, 'basic', 'Basic', '', '', 49900, 30, true, 0,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO payment (purchase_order_id, user_id, plan_id, amount_paisa, plan_name, duration_days,"
                " status, created_at, updated_at, refunded_paisa, check_count) VALUES ('KP-old', 1, 1, 49900,"
                " 'Basic', 30, 'completed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 0)"
            )
        )
    # The portal ran on the sandbox when the migration ran: the old payment was a sandbox payment.
    monkeypatch.setenv("KHALTI_ENV", "sandbox")
    monkeypatch.setenv("KHALTI_SECRET_KEY", "test_secret_key_for_the_migration")
    get_settings.cache_clear()
    try:
        upgrade(empty_engine, "head")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT khalti_mode FROM payment")).scalars().all() == ["sandbox"]
    # New rows must say their mode, and only a known one.
    with pytest.raises(Exception, match=r"(?i)check|constraint"), empty_engine.begin() as conn:
        conn.execute(text("UPDATE payment SET khalti_mode = 'staging'"))
