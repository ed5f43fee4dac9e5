"""The reconciler's refund check: refunds and reversals made anywhere (Khalti's merchant portal, the emulator's
control route) revoke access, and a refund Khalti accepted but did not show yet is applied without Check now.

Against the Khalti emulator in-process (as tests/test_reconcile_emulator.py), on SQLite and PostgreSQL, with a
frozen clock: the check is daily, so the clock is moved to the day it is due.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

import httpx
import pytest

from khalti_portal.billing.admin.refunds import refund_payment
from khalti_portal.billing.checkout import start_checkout
from khalti_portal.billing.reconcile import REFUND_CHECK_WINDOW, reconcile_once
from khalti_portal.billing.subscription import expires_at
from khalti_portal.db.models import Payment, PaymentEvent, SubscriptionPeriod
from khalti_portal.khalti import KhaltiClient
from tests.test_reconcile_emulator import EMULATOR_BASE, SETTLE, EmulatorKhalti, mounted, pay_by_checkout, reconcile

pytest_plugins = ["tests.db_fixtures"]

DAY = timedelta(seconds=86_400)  # REFUND_CHECK_INTERVAL_SECONDS by default


@pytest.fixture
def emulator(world, tmp_path):
    khalti = EmulatorKhalti(world, tmp_path)
    yield khalti
    khalti.dispose()


async def paid(world, emulator: EmulatorKhalti) -> tuple[int, Payment]:
    """A payment paid on Khalti and completed by the reconciler (the payer never came back)."""
    user_id, payment = await pay_by_checkout(world, emulator)
    await emulator.force(payment.pidx, "Completed")
    world.clock.advance(SETTLE)
    assert (await reconcile(emulator)).completed == 1
    assert expires_at(user_id, deps=emulator.deps) is not None
    return user_id, world.get(Payment, payment.id)


async def lookups(emulator: EmulatorKhalti, pidx: str) -> int:
    return (await emulator.stats())["lookups"].get(pidx, 0)


def period_of(world, payment: Payment) -> SubscriptionPeriod:
    [period] = world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment.id)
    return period


# -- the done-when: a refund made on Khalti's side revokes access after one run ---------------------------------


async def test_a_refund_made_on_the_emulator_revokes_access_after_one_reconciler_run(world, emulator):
    user_id, payment = await paid(world, emulator)
    await emulator.force(payment.pidx, "Refunded")  # the merchant refunds in Khalti's own portal
    world.clock.advance(DAY - timedelta(seconds=1))
    not_yet = await reconcile(emulator)  # the check is daily: nothing is asked before the day is up
    assert (not_yet.refund_checks, await lookups(emulator, payment.pidx)) == (0, 1)
    world.clock.advance(timedelta(seconds=1))

    report = await reconcile(emulator)

    assert (report.refund_checks, report.changed, report.errors) == (1, {"refunded": 1}, 0)
    assert "refund checks 1" in report.summary() and "other changes refunded 1" in report.summary()
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.refunded_at, stored.refunded_paisa) == ("refunded", world.now(), 49_900)
    assert stored.claimed_until is None and stored.next_check_at is None
    assert period_of(world, payment).revoked_at == world.now()
    assert expires_at(user_id, deps=emulator.deps) is None  # access is gone
    [transition] = world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id, PaymentEvent.to_status == "refunded")
    assert (transition.source, transition.from_status) == ("reconciler", "completed")
    assert await lookups(emulator, payment.pidx) == 2

    world.clock.advance(DAY)  # refunded is final: never asked again
    assert (await reconcile(emulator)).refund_checks == 0
    assert await lookups(emulator, payment.pidx) == 2


async def test_a_partial_refund_made_on_the_emulator_flags_the_payment_for_an_admin(world, emulator):
    user_id, payment = await paid(world, emulator)
    await emulator.force(payment.pidx, "Partially Refunded")
    world.clock.advance(DAY)

    report = await reconcile(emulator)

    assert report.changed == {"flagged": 1}
    assert world.get(Payment, payment.id).status == "flagged"
    assert period_of(world, payment).revoked_at is None  # a person decides what a partial refund is worth
    # Still watched: a full refund later is applied too.
    await emulator.force(payment.pidx, "Refunded")
    world.clock.advance(DAY)
    assert (await reconcile(emulator)).changed == {"refunded": 1}
    assert expires_at(user_id, deps=emulator.deps) is None


async def test_completed_payments_are_checked_once_a_day_for_thirty_days_then_left_alone(world, emulator):
    _, payment = await paid(world, emulator)
    checks = []
    for _ in range(80):  # forty days, a run every twelve hours
        world.clock.advance(DAY / 2)
        checks.append((await reconcile(emulator)).refund_checks)

    # Days 1..29 after it completed (day 30 is the window's edge); a run between two checks asks nothing.
    assert sum(checks) == 29 and set(checks) == {0, 1}
    assert checks[:3] == [0, 1, 0]
    assert await lookups(emulator, payment.pidx) == 1 + 29
    assert REFUND_CHECK_WINDOW == timedelta(days=30)
    assert world.get(Payment, payment.id).status == "completed"


async def test_two_reconcilers_at_once_look_a_payment_up_once_for_its_refund_check(world, emulator):
    _, payment = await paid(world, emulator)
    await emulator.force(payment.pidx, "Refunded")
    world.clock.advance(DAY)

    first, second = await asyncio.gather(reconcile(emulator), reconcile(emulator))

    assert first.refund_checks + second.refund_checks == 1
    assert await lookups(emulator, payment.pidx) == 2
    assert len(world.rows(PaymentEvent, PaymentEvent.to_status == "refunded")) == 1


async def test_dry_run_counts_the_refund_checks_due_and_changes_nothing(world, emulator):
    _, payment = await paid(world, emulator)
    await emulator.force(payment.pidx, "Refunded")
    world.clock.advance(DAY)
    before = world.get(Payment, payment.id).model_dump()

    report = await reconcile(emulator, dry_run=True)

    assert report.refund_checks == 1 and "refund checks due 1" in report.summary()
    assert world.get(Payment, payment.id).model_dump() == before
    assert await lookups(emulator, payment.pidx) == 1


async def test_a_failed_refund_check_is_asked_again_an_hour_later_not_a_day(world, emulator):
    _, payment = await paid(world, emulator)
    world.clock.advance(DAY)
    emulator.up = False  # Khalti is down at check time

    failed = await reconcile(emulator)

    assert (failed.refund_checks, failed.errors) == (1, 1)
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.claimed_until) == ("completed", None)
    assert stored.next_check_at == world.now() + timedelta(hours=1)
    emulator.up = True
    await emulator.force(payment.pidx, "Refunded")
    world.clock.advance(timedelta(hours=1))
    assert (await reconcile(emulator)).changed == {"refunded": 1}


async def test_an_answer_no_retry_changes_waits_the_full_interval(world, emulator):
    _, payment = await paid(world, emulator)
    world.clock.advance(DAY)
    with_a_wrong_key = dataclasses.replace(
        emulator.deps,
        khalti_factory=lambda: KhaltiClient(
            secret_key="not_the_merchant_key_0000000000",
            base_url=EMULATOR_BASE,
            transport=httpx.ASGITransport(app=mounted(emulator.healthy)),
        ),
    )

    report = await reconcile_once(deps=with_a_wrong_key, retry_delays=(0.0, 0.0))

    assert (report.refund_checks, report.errors, report.retries) == (1, 1, 0)  # a 401 is asked once
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.next_check_at) == ("completed", world.now() + DAY)


async def test_each_run_checks_a_bounded_number_of_payments_and_the_rest_next_run(world, emulator):
    plan = world.plan("basic", price_paisa=49_900, duration_days=30)
    payments = []
    for _ in range(5):
        started = await start_checkout(user_id=world.user(), plan_slug=plan.slug, deps=emulator.deps)
        payments.append(world.get(Payment, started.payment_id))
        await emulator.force(payments[-1].pidx, "Completed")
    world.clock.advance(SETTLE)
    assert (await reconcile(emulator)).completed == 5
    world.clock.advance(DAY)

    first = await reconcile(emulator, batch_size=2, max_batches=2)
    second = await reconcile(emulator, batch_size=2, max_batches=2)

    assert (first.refund_checks, second.refund_checks) == (4, 1)
    assert [await lookups(emulator, p.pidx) for p in payments] == [2] * 5


async def test_a_refund_requested_long_after_the_window_is_still_followed_up(world, emulator):
    user_id, payment = await paid(world, emulator)
    world.clock.advance(timedelta(days=45))
    for _ in range(2):  # well past the 30 days: no more daily checks
        world.clock.advance(DAY)
        assert (await reconcile(emulator)).refund_checks == 0
    # An admin refunds, but Khalti's answer never arrives: the refund may or may not have gone through.
    emulator.up = False
    outcome = await refund_payment(payment.id, actor_user_id=world.user(), reason="customer asked", deps=emulator.deps)
    assert outcome.kind == "khalti_unclear"
    emulator.up = True
    await emulator.force(payment.pidx, "Refunded")  # it had gone through
    world.clock.advance(timedelta(minutes=59))
    assert (await reconcile(emulator)).refund_checks == 0
    world.clock.advance(timedelta(minutes=1))

    report = await reconcile(emulator)

    assert report.changed == {"refunded": 1}
    assert expires_at(user_id, deps=emulator.deps) is None


# -- an admin refund Khalti accepted but did not show yet: nobody has to press Check now ---------------------------


async def test_an_accepted_refund_khalti_does_not_show_yet_is_applied_within_the_hour(world, khalti):
    user_id, plan = world.user(), world.plan("basic", price_paisa=49_900, duration_days=30)
    payment = world.payment(user_id=user_id, plan=plan)
    refunded = {"yet": False}

    def lookup(request: httpx.Request) -> httpx.Response:
        said = "Refunded" if refunded["yet"] else "Completed"
        body = world.lookup_body(payment.pidx, said, 49_900, transaction_id="TXN9", refunded=refunded["yet"])
        assert json.loads(request.content)["pidx"] == payment.pidx
        return httpx.Response(200, json=body)

    khalti.routes["lookup"].mock(side_effect=lookup)
    khalti.routes["refund"].respond(200, json={"detail": "Transaction refund successful."})
    world.clock.advance(SETTLE)
    assert (await reconcile_once(deps=world.deps, retry_delays=())).completed == 1
    admin = world.user()

    outcome = await refund_payment(payment.id, actor_user_id=admin, reason="customer asked", deps=world.deps)
    assert (outcome.kind, outcome.status) == ("accepted", "completed")
    assert "within the hour" in outcome.message
    refunded["yet"] = True  # Khalti's lookup catches up
    world.clock.advance(timedelta(minutes=59))
    assert (await reconcile_once(deps=world.deps, retry_delays=())).refund_checks == 0
    world.clock.advance(timedelta(minutes=1))

    report = await reconcile_once(deps=world.deps, retry_delays=())

    assert (report.refund_checks, report.changed) == (1, {"refunded": 1})
    assert world.get(Payment, payment.id).status == "refunded"
    assert expires_at(user_id, deps=world.deps) is None
