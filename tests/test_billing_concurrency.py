"""Racing verifiers: twenty at once on one pidx make one transition and one period, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from khalti_portal.billing.subscription import expires_at
from khalti_portal.billing.verification import verify_payment
from khalti_portal.db.models import Payment, PaymentEvent, SubscriptionPeriod

pytest_plugins = ["tests.db_fixtures"]

RACERS = 20
SOURCES = ("return", "dashboard", "reconciler", "admin")


def completed_after_a_pause(world, amount, delay=0.05):
    async def lookup(request):
        # The pause keeps every racer's lookup in flight at once, so they all see `pending`.
        await asyncio.sleep(delay)
        pidx = json.loads(request.content)["pidx"]
        return httpx.Response(200, json=world.lookup_body(pidx, "Completed", amount))

    return lookup


@pytest.fixture
def race(world, khalti):
    user_id = world.user()
    plan = world.plan("basic", price_paisa=49_900, duration_days=30)
    payment = world.payment(user_id=user_id, plan=plan)
    khalti.routes["lookup"].mock(side_effect=completed_after_a_pause(world, 49_900))
    return world, payment


def assert_exactly_once(world, payment, outcomes, khalti):
    assert len(outcomes) == RACERS
    assert sum(o.changed for o in outcomes) == 1
    assert {o.status for o in outcomes} == {"completed"}
    assert {o.period_ends_at for o in outcomes} == {world.now() + timedelta(days=30)}
    assert len(world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment.id)) == 1
    completed = world.rows(
        PaymentEvent,
        PaymentEvent.payment_id == payment.id,
        PaymentEvent.kind == "transition",
        PaymentEvent.to_status == "completed",
    )
    assert len(completed) == 1
    # Every lookup is accounted for: an audit row, or (when it repeated the answer before it) a count on the payment.
    audited = world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "lookup")
    assert len(audited) + world.get(Payment, payment.id).repeat_lookups == RACERS
    assert khalti.routes["lookup"].call_count == RACERS
    assert expires_at(payment.user_id, deps=world.deps) == world.now() + timedelta(days=30)


async def test_twenty_concurrent_coroutines(race, khalti):
    world, payment = race
    outcomes = await asyncio.gather(
        *(verify_payment(payment.pidx, source=SOURCES[i % 4], deps=world.deps) for i in range(RACERS))
    )
    assert_exactly_once(world, payment, outcomes, khalti)


def test_twenty_threads_each_with_its_own_event_loop(race, khalti):
    world, payment = race
    start = threading.Barrier(RACERS)

    def racer(i):
        start.wait()
        return asyncio.run(verify_payment(payment.pidx, source=SOURCES[i % 4], deps=world.deps))

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(racer, range(RACERS)))
    assert_exactly_once(world, payment, outcomes, khalti)


def test_different_payments_of_one_user_completing_at_once_stack_without_overlap(world, khalti):
    user_id = world.user()
    plan = world.plan("basic", price_paisa=49_900, duration_days=30)
    payments = [world.payment(user_id=user_id, plan=plan) for _ in range(RACERS // 2)]
    khalti.routes["lookup"].mock(side_effect=completed_after_a_pause(world, 49_900, delay=0.02))
    start = threading.Barrier(RACERS)

    def racer(i):
        start.wait()
        return asyncio.run(verify_payment(payments[i // 2].pidx, source="reconciler", deps=world.deps))

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(racer, range(RACERS)))

    assert sum(o.changed for o in outcomes) == len(payments)
    periods = sorted(world.rows(SubscriptionPeriod, SubscriptionPeriod.user_id == user_id), key=lambda p: p.starts_at)
    assert len(periods) == len(payments)
    assert periods[0].starts_at == world.now()
    for earlier, later in itertools.pairwise(periods):
        assert later.starts_at == earlier.ends_at  # back to back: nobody loses a paid day
    assert expires_at(user_id, deps=world.deps) == world.now() + timedelta(days=30 * len(payments))
