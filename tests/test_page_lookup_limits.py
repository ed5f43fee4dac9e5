"""`verify_from_page`: at most one lookup per 10 s per payment from pages (settled: one a minute), on every database
and with Redis; the reconciler and admins keep their own schedule; repeated answers are counted, not audited.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta

import httpx
import pytest

from khalti_portal.billing.page_limits import (
    PAGE_LOOKUP_EVERY,
    SETTLED_LOOKUP_EVERY,
    checkout_allowed,
    claim_recheck_loop,
    verify_from_page,
)
from khalti_portal.billing.verification import stored_outcome, verify_claimed, verify_payment
from khalti_portal.db.models import Payment, PaymentEvent

pytest_plugins = ["tests.db_fixtures", "tests.throttle_fixtures"]

REDIS_URL = os.environ.get("TEST_THROTTLE_REDIS_URL", "redis://127.0.0.1:6379/6")  # as in tests/throttle_fixtures.py


@pytest.fixture(params=["database", "redis"])
def limited(request, db_engine, make_world, khalti):
    """A BillingWorld whose limits live in the database, or in Redis (REFLEX_REDIS_URL in its settings)."""
    if request.param == "redis":
        request.getfixturevalue("redis_marks")
        world = make_world(db_engine, REFLEX_REDIS_URL=REDIS_URL)
    else:
        world = make_world(db_engine)
    payment = world.payment(user_id=world.user(), plan=world.plan())
    return world, payment


def answer(khalti, world, status: str, delay: float = 0.0) -> None:
    async def lookup(request):
        await asyncio.sleep(delay)  # keeps concurrent callers' lookups in flight together
        return httpx.Response(200, json=world.lookup_body(json.loads(request.content)["pidx"], status, 49_900))

    khalti.routes["lookup"].mock(side_effect=lookup)


async def test_pending_is_looked_up_from_pages_at_most_once_per_ten_seconds(limited, khalti) -> None:
    world, payment = limited
    answer(khalti, world, "Pending", delay=0.02)
    outcomes = await asyncio.gather(
        *(verify_from_page(payment.pidx, source="return", deps=world.deps) for _ in range(50))
    )
    assert khalti.routes["lookup"].call_count == 1  # one in flight; the others waited for its answer
    assert {o.status for o in outcomes} == {"pending"}
    world.clock.advance(timedelta(seconds=9))
    assert (await verify_from_page(payment.pidx, source="dashboard", deps=world.deps)).kind == "not_asked"
    assert khalti.routes["lookup"].call_count == 1
    world.clock.advance(timedelta(seconds=1))
    await verify_from_page(payment.pidx, source="dashboard", deps=world.deps)
    assert khalti.routes["lookup"].call_count == 2
    # The reconciler and admins are not held to the pages' limit.
    await verify_payment(payment.pidx, source="reconciler", deps=world.deps)
    await verify_payment(payment.pidx, source="admin", deps=world.deps)
    assert khalti.routes["lookup"].call_count == 4
    # Four lookups, all saying Pending: one audit row, three counted on the payment.
    assert len(world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "lookup")) == 1
    assert world.get(Payment, payment.id).repeat_lookups == 3


async def test_a_settled_payment_is_looked_up_from_pages_at_most_once_a_minute(limited, khalti) -> None:
    world, payment = limited
    answer(khalti, world, "Completed")
    assert (await verify_from_page(payment.pidx, source="return", deps=world.deps)).status == "completed"
    world.clock.advance(timedelta(seconds=10))
    for _ in range(20):
        assert (await verify_from_page(payment.pidx, source="return", deps=world.deps)).kind == "not_asked"
    assert khalti.routes["lookup"].call_count == 1
    world.clock.advance(timedelta(seconds=50))
    assert (await verify_from_page(payment.pidx, source="return", deps=world.deps)).kind == "unchanged"
    assert khalti.routes["lookup"].call_count == 2
    # A changed answer (a refund made in Khalti's portal) is audited again.
    answer(khalti, world, "Refunded")
    world.clock.advance(timedelta(minutes=1))
    assert (await verify_from_page(payment.pidx, source="return", deps=world.deps)).status == "refunded"
    kinds = [e.kind for e in world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id)]
    assert kinds.count("lookup") == 2 and kinds.count("transition") == 2


async def test_one_recheck_loop_per_payment_at_a_time(limited) -> None:
    world, payment = limited
    async with claim_recheck_loop(payment.pidx, timedelta(minutes=6), deps=world.deps) as first:
        async with claim_recheck_loop(payment.pidx, timedelta(minutes=6), deps=world.deps) as second:
            assert (first, second) == (True, False)
    async with claim_recheck_loop(payment.pidx, timedelta(minutes=6), deps=world.deps) as after:
        assert after  # the finished loop gave its claim back


def test_five_checkouts_per_user_per_ten_minutes(limited) -> None:
    world, payment = limited
    allowed = [checkout_allowed(payment.user_id, deps=world.deps) for _ in range(7)]
    assert allowed == [True] * 5 + [False] * 2
    assert checkout_allowed(world.user(), deps=world.deps)
    world.clock.advance(timedelta(minutes=10, seconds=1))
    assert checkout_allowed(payment.user_id, deps=world.deps)


async def test_a_caller_that_goes_away_mid_lookup_does_not_take_the_others_with_it(limited, khalti) -> None:
    world, payment = limited
    entered, never = asyncio.Event(), asyncio.Event()

    async def lookup_that_hangs(request):
        entered.set()
        await never.wait()  # the first caller's lookup is still in flight when its tab goes away

    khalti.routes["lookup"].mock(side_effect=lookup_that_hangs)
    first = asyncio.create_task(verify_from_page(payment.pidx, source="return", deps=world.deps))
    await entered.wait()
    waiting = asyncio.create_task(verify_from_page(payment.pidx, source="return", deps=world.deps))
    await asyncio.sleep(0)  # let it start waiting on the first caller's lookup
    first.cancel()
    outcome = await waiting
    assert first.cancelled()
    assert (outcome.status, outcome.kind) == ("pending", "not_asked")  # asked moments ago: the stored state


async def test_pages_in_other_workers_racing_for_one_payment_make_one_lookup(limited, khalti) -> None:
    """No coalescing across workers: the claim on the payment row alone keeps it to one lookup."""
    world, payment = limited
    answer(khalti, world, "Completed", delay=0.02)
    outcomes = await asyncio.gather(
        *(
            verify_claimed(
                payment.pidx,
                source="return",
                every=PAGE_LOOKUP_EVERY,
                settled_every=SETTLED_LOOKUP_EVERY,
                deps=world.deps,
            )
            for _ in range(12)
        )
    )
    assert khalti.routes["lookup"].call_count == 1
    assert sorted(o.kind for o in outcomes) == ["changed"] + ["not_asked"] * 11
    # The one that asked reports the period it granted; the others read what was stored when they looked.
    changed = next(o for o in outcomes if o.kind == "changed")
    assert changed.status == "completed" and changed.period_ends_at is not None
    assert (await stored_outcome(payment.pidx, deps=world.deps)).period_ends_at == changed.period_ends_at


async def test_a_payment_from_another_khalti_mode_is_never_claimed(limited, khalti) -> None:
    world, _ = limited
    payment = world.payment(user_id=world.user(), plan=world.plan("live-only"), khalti_mode="live")
    outcome = await verify_from_page(payment.pidx, source="return", deps=world.deps)
    assert (outcome.kind, khalti.routes["lookup"].call_count) == ("not_found", 0)
    assert world.get(Payment, payment.id).page_lookup_at is None
