"""reconcile_once through the real Khalti client and respx, on SQLite and PostgreSQL: what is claimed,
what is looked up, what is applied — each test asserts the rows afterwards."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, update

from khalti_portal.billing import reconcile as reconcile_module
from khalti_portal.billing.reconcile import (
    CREATED_FAILURE_REASON,
    LOOKUP_HORIZON,
    ReconcileReport,
    lease_for,
    reconcile_loop,
    reconcile_once,
    run_in_process,
)
from khalti_portal.billing.subscription import expires_at
from khalti_portal.billing.verification import verify_payment
from khalti_portal.db.models import Payment, PaymentEvent, PaymentStatus, SubscriptionPeriod
from tests.db_fixtures import make_settings

pytest_plugins = ["tests.db_fixtures"]

PRICE = 49_900
SETTLE = timedelta(seconds=30)  # RECONCILE_SETTLE_SECONDS in make_settings
NO_WAIT = (0.0, 0.0)  # two retries, without real pauses


# -- helpers ------------------------------------------------------------------------------------------------


@pytest.fixture
def shop(world):
    """A subscriber and a Rs 499 / 30-day plan."""
    return world, world.user(), world.plan("basic", price_paisa=PRICE, duration_days=30)


def pending(world, user_id, plan, **values: Any) -> Payment:
    """A pending payment as checkout leaves it, with `values` written over the row."""
    payment = world.payment(user_id=user_id, plan=plan)
    if values:
        set_row(world, payment.id, **values)
    return world.get(Payment, payment.id)


def created(world, user_id, plan) -> Payment:
    """A payment whose initiate never answered: `created`, no pidx."""
    payment = world.payment(user_id=user_id, plan=plan, status=PaymentStatus.CREATED)
    set_row(world, payment.id, pidx=None, payment_url=None, payment_url_expires_at=None)
    return world.get(Payment, payment.id)


def set_row(world, payment_id: int, **values: Any) -> None:
    with Session(world.engine) as session:
        session.exec(update(Payment).where(col(Payment.id) == payment_id).values(**values))
        session.commit()


class KhaltiSays:
    """respx's lookup answers by pidx: a Khalti status text, an httpx.Response or an exception."""

    def __init__(self, world, khalti, default: str = "Completed") -> None:
        self.world = world
        self.answers: dict[str, Any] = {}
        self.default = default
        self.calls: Counter[str] = Counter()
        khalti.routes["lookup"].mock(side_effect=self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        pidx = json.loads(request.content)["pidx"]
        self.calls[pidx] += 1
        said = self.answers.get(pidx, self.default)
        if isinstance(said, Exception):
            raise said
        if isinstance(said, httpx.Response):
            return said
        code = 400 if said in ("Expired", "User canceled") else 200
        return httpx.Response(code, json=self.world.lookup_body(pidx, said, PRICE))


async def run(world, **kwargs: Any) -> ReconcileReport:
    kwargs.setdefault("retry_delays", NO_WAIT)
    return await reconcile_once(deps=world.deps, **kwargs)


def periods(world, payment=None) -> list[SubscriptionPeriod]:
    where = [SubscriptionPeriod.payment_id == payment.id] if payment is not None else []
    return world.rows(SubscriptionPeriod, *where)


def transitions(world, payment=None, to_status: str | None = None) -> list[PaymentEvent]:
    where = [PaymentEvent.kind == "transition"]
    if payment is not None:
        where.append(PaymentEvent.payment_id == payment.id)
    if to_status is not None:
        where.append(PaymentEvent.to_status == to_status)
    return world.rows(PaymentEvent, *where)


def snapshot(world) -> tuple[list[dict], list[dict], list[dict]]:
    dump = [p.model_dump() for p in world.rows(Payment)]
    return dump, [e.model_dump() for e in world.rows(PaymentEvent)], [p.model_dump() for p in periods(world)]


# -- the paid payment nobody came back for ------------------------------------------------------------------


async def test_a_paid_payment_nobody_came_back_for_is_completed_by_one_run(shop, khalti):
    world, user_id, plan = shop
    payment = pending(world, user_id, plan)
    khalti_says = KhaltiSays(world, khalti)
    world.clock.advance(SETTLE)

    report = await run(world, worker_id="w1")

    assert (report.claimed, report.looked_up, report.completed, report.errors) == (1, 1, 1, 0)
    assert report.changed == {"completed": 1} and report.still_pending == 0
    stored = world.get(Payment, payment.id)
    assert stored.status == "completed" and stored.completed_at == world.now()
    assert (stored.claimed_until, stored.claimed_by, stored.next_check_at) == (None, None, None)
    assert stored.check_count == 1  # counted once, by verify_payment
    [period] = periods(world, payment)
    assert (period.starts_at, period.ends_at) == (world.now(), world.now() + timedelta(days=30))
    [transition] = transitions(world, payment)
    assert (transition.source, transition.from_status, transition.to_status) == ("reconciler", "pending", "completed")
    assert expires_at(user_id, deps=world.deps) == world.now() + timedelta(days=30)

    world.clock.advance(timedelta(hours=1))
    again = await run(world)
    assert (again.claimed, again.completed) == (0, 0)
    assert khalti_says.calls == {payment.pidx: 1}
    assert len(periods(world)) == 1 and len(transitions(world)) == 1


@pytest.mark.parametrize(
    ("khalti_status", "expected"),
    [
        ("User canceled", "canceled"),
        ("Expired", "expired"),
        ("Failed", "failed"),
        ("Refunded", "refunded"),
        ("Partially Refunded", "flagged"),
    ],
)
async def test_each_final_answer_is_applied_once_without_access(shop, khalti, khalti_status, expected):
    world, user_id, plan = shop
    payment = pending(world, user_id, plan)
    KhaltiSays(world, khalti, default=khalti_status)
    world.clock.advance(SETTLE)

    report = await run(world)

    assert report.changed == {expected: 1} and report.completed == 0
    assert world.get(Payment, payment.id).status == expected
    assert periods(world) == []
    assert [(t.from_status, t.to_status, t.source) for t in transitions(world)] == [("pending", expected, "reconciler")]


async def test_an_amount_mismatch_is_flagged_not_granted(shop, khalti):
    world, user_id, plan = shop
    payment = pending(world, user_id, plan)
    says = KhaltiSays(world, khalti)
    says.answers[payment.pidx] = httpx.Response(200, json=world.lookup_body(payment.pidx, "Completed", PRICE - 100))
    world.clock.advance(SETTLE)

    report = await run(world)

    assert report.changed == {"flagged": 1} and report.completed == 0
    assert world.get(Payment, payment.id).status == "flagged"
    assert periods(world) == []


# -- what is due --------------------------------------------------------------------------------------------


async def test_only_due_payments_are_claimed(shop, khalti):
    world, user_id, plan = shop
    t0 = world.now()
    due_new = pending(world, user_id, plan)  # next_check_at NULL
    due_backed_off = pending(world, user_id, plan, next_check_at=t0 + timedelta(seconds=10))
    lease_ran_out = pending(world, user_id, plan, claimed_until=t0 + timedelta(seconds=5), claimed_by="crashed")
    leased = pending(world, user_id, plan, claimed_until=t0 + timedelta(hours=1), claimed_by="busy-worker")
    not_yet = pending(world, user_id, plan, next_check_at=t0 + timedelta(hours=1))
    past_horizon = pending(world, user_id, plan, payment_url_expires_at=t0 - LOOKUP_HORIZON)
    settled = pending(world, user_id, plan, status="completed")
    world.clock.advance(SETTLE)
    too_young = pending(world, user_id, plan)  # created just now: Khalti may not know the pidx yet
    says = KhaltiSays(world, khalti, default="Pending")

    report = await run(world, worker_id="w1")

    looked_up = {due_new.pidx, due_backed_off.pidx, lease_ran_out.pidx}
    assert set(says.calls) == looked_up and set(says.calls.values()) == {1}
    assert (report.claimed, report.looked_up, report.still_pending, report.left_for_admin) == (3, 3, 3, 1)
    for untouched in (leased, not_yet, past_horizon, settled, too_young):
        assert world.get(Payment, untouched.id).check_count == 0
    assert world.get(Payment, leased.id).claimed_by == "busy-worker"  # another worker's lease is left alone
    assert world.get(Payment, past_horizon.id).status == "pending"  # left for an admin, not changed
    for payment in (due_new, due_backed_off, lease_ran_out):
        stored = world.get(Payment, payment.id)
        assert (stored.status, stored.check_count) == ("pending", 1)
        assert (stored.claimed_until, stored.claimed_by) == (None, None)


async def test_still_pending_backs_off_and_is_asked_again_when_due(shop, khalti):
    world, user_id, plan = shop
    payment = pending(world, user_id, plan)
    says = KhaltiSays(world, khalti, default="Initiated")
    world.clock.advance(SETTLE)

    first_run_at = world.now()
    first = await run(world)
    after_first = world.get(Payment, payment.id)
    same_time = await run(world)
    world.clock.advance(SETTLE)
    third = await run(world)
    after_third = world.get(Payment, payment.id)

    assert (first.claimed, first.still_pending, first.unchanged) == (1, 1, 1)
    assert after_first.next_check_at == first_run_at + SETTLE
    assert same_time.claimed == 0
    assert third.claimed == 1
    assert after_third.next_check_at == world.now() + 2 * SETTLE  # doubled
    assert after_third.check_count == 2 == says.calls[payment.pidx]  # once per lookup, never twice
    assert periods(world) == [] and transitions(world) == []


async def test_runs_in_batches_and_asks_about_each_payment_once_per_run(shop, khalti):
    world, user_id, plan = shop
    payments = [pending(world, user_id, plan) for _ in range(7)]
    says = KhaltiSays(world, khalti, default="Pending")
    for payment in payments:
        says.answers[payment.pidx] = httpx.Response(503, text="<html>down</html>")
    world.clock.advance(SETTLE)

    report = await run(world, batch_size=3, concurrency=2)

    # Still due after the failures, but a run never comes back to a payment it already asked about.
    assert (report.claimed, report.errors, report.retries) == (7, 7, 14)
    assert says.calls == {p.pidx: 3 for p in payments}
    limited = await run(world, batch_size=3, max_batches=2)
    assert limited.claimed == 6


async def test_lookups_run_at_most_concurrency_at_once(shop, khalti):
    world, user_id, plan = shop
    for _ in range(12):
        pending(world, user_id, plan)
    in_flight = 0
    most = 0

    async def lookup(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        for _ in range(20):  # yield to the loop: any other lookup that may start, starts now
            await asyncio.sleep(0)
        in_flight -= 1
        pidx = json.loads(request.content)["pidx"]
        return httpx.Response(200, json=world.lookup_body(pidx, "Pending", PRICE))

    khalti.routes["lookup"].mock(side_effect=lookup)
    world.clock.advance(SETTLE)

    report = await run(world, batch_size=12, concurrency=3)

    assert report.claimed == 12 and report.looked_up == 12
    assert 1 <= most <= 3


async def test_a_lease_is_set_while_looking_up_and_released_after(shop, khalti):
    world, user_id, plan = shop
    payment = pending(world, user_id, plan)
    seen: dict[str, Any] = {}

    def lookup(request: httpx.Request) -> httpx.Response:
        stored = world.get(Payment, payment.id)
        seen["during"] = (stored.claimed_by, stored.claimed_until)
        return httpx.Response(200, json=world.lookup_body(payment.pidx, "Pending", PRICE))

    khalti.routes["lookup"].mock(side_effect=lookup)
    world.clock.advance(SETTLE)

    await run(world, worker_id="host:1:abc", batch_size=10, concurrency=5)

    assert seen["during"] == ("host:1:abc", world.now() + lease_for(10, 5, 3))
    stored = world.get(Payment, payment.id)
    assert (stored.claimed_by, stored.claimed_until) == (None, None)


# -- racing ---------------------------------------------------------------------------------------------------


async def test_return_page_and_reconciler_racing_on_one_pidx_make_one_period(shop, khalti):
    world, user_id, plan = shop
    payment = pending(world, user_id, plan)
    world.clock.advance(SETTLE)
    arrived = 0
    both_asked = asyncio.Event()

    async def lookup(request: httpx.Request) -> httpx.Response:
        # Answer only once both have asked: each has read `pending` before either applies anything.
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            both_asked.set()
        await asyncio.wait_for(both_asked.wait(), timeout=10)
        return httpx.Response(200, json=world.lookup_body(payment.pidx, "Completed", PRICE))

    khalti.routes["lookup"].mock(side_effect=lookup)

    returned, report = await asyncio.gather(verify_payment(payment.pidx, source="return", deps=world.deps), run(world))

    assert arrived == 2
    assert returned.status == "completed"
    assert int(returned.changed) + report.completed == 1
    assert report.errors == 0 and report.claimed == 1
    assert len(periods(world, payment)) == 1
    assert len(transitions(world, payment, "completed")) == 1
    assert len(world.rows(PaymentEvent, PaymentEvent.kind == "lookup")) == 2
    assert expires_at(user_id, deps=world.deps) == world.now() + timedelta(days=30)
    assert world.get(Payment, payment.id).claimed_until is None


async def test_two_reconcilers_at_once_ask_about_each_payment_once(shop, khalti):
    world, user_id, plan = shop
    payments = [pending(world, user_id, plan) for _ in range(30)]

    async def lookup(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # let the other reconciler's claims interleave with this one's lookups
        return says(request)

    says = KhaltiSays(world, khalti)
    khalti.routes["lookup"].mock(side_effect=lookup)
    world.clock.advance(SETTLE)

    reports = await asyncio.gather(
        run(world, worker_id="a", batch_size=4, concurrency=3), run(world, worker_id="b", batch_size=4, concurrency=3)
    )

    assert says.calls == {p.pidx: 1 for p in payments}
    assert sum(r.claimed for r in reports) == 30 and sum(r.completed for r in reports) == 30
    assert len(periods(world)) == 30 and len(transitions(world, to_status="completed")) == 30
    # The user's 30 periods stack end to end: 900 days from now.
    assert expires_at(user_id, deps=world.deps) == world.now() + timedelta(days=900)
    assert {p.claimed_until for p in world.rows(Payment)} == {None}


# -- created payments that never reached Khalti -------------------------------------------------------------


async def test_created_past_the_timeout_fails_exactly_once(shop, khalti):
    world, user_id, plan = shop
    stale = created(world, user_id, plan)
    world.clock.advance(timedelta(seconds=world.settings.created_timeout_seconds - 1))
    fresh = created(world, user_id, plan)

    early = await run(world)
    assert early.created_failed == 0 and world.get(Payment, stale.id).status == "created"

    world.clock.advance(timedelta(seconds=1))
    first, racing = await asyncio.gather(run(world), run(world))
    later = await run(world)

    assert first.created_failed + racing.created_failed == 1 and later.created_failed == 0
    stored = world.get(Payment, stale.id)
    assert stored.status == "failed" and stored.failure_reason.startswith(CREATED_FAILURE_REASON)
    assert world.get(Payment, fresh.id).status == "created"
    [event] = transitions(world, stale)
    assert (event.source, event.from_status, event.to_status) == ("reconciler", "created", "failed")
    assert event.detail.startswith(CREATED_FAILURE_REASON)
    assert khalti.routes["lookup"].call_count == 0


async def test_dry_run_claims_and_changes_nothing(shop, khalti):
    world, user_id, plan = shop
    for _ in range(3):
        pending(world, user_id, plan)
    pending(world, user_id, plan, payment_url_expires_at=world.now() - LOOKUP_HORIZON)
    created(world, user_id, plan)
    KhaltiSays(world, khalti)
    world.clock.advance(timedelta(seconds=world.settings.created_timeout_seconds))
    before = snapshot(world)

    report = await run(world, dry_run=True)

    assert snapshot(world) == before
    assert khalti.routes["lookup"].call_count == 0
    assert (report.due, report.created_failed, report.left_for_admin, report.claimed) == (3, 1, 1, 0)
    assert report.summary() == (
        "reconcile (dry run): due 3, created past the timeout 1, left for an admin 1; nothing claimed or changed"
    )


# -- the report, the loop and the wiring ------------------------------------------------------------------------


def test_the_summary_is_one_line():
    report = ReconcileReport(worker_id="w", claimed=3, completed=2, still_pending=1, changed={"completed": 2})
    assert report.summary() == "reconcile: claimed 3, completed 2, still pending 1, errors 0, created→failed 0"
    report.changed["canceled"] = 1
    report.left_for_admin = 2
    assert report.summary().endswith(", other changes canceled 1, left for an admin 2")


def test_the_lease_covers_a_whole_batch_at_its_slowest():
    assert lease_for(50, 5, 3) == timedelta(seconds=10 * 3 * 45)
    assert lease_for(1, 5, 1) == timedelta(minutes=2)


async def test_the_loop_survives_a_failing_run_and_stops_when_told(sqlite_world, monkeypatch, caplog):
    stop = asyncio.Event()
    calls: list[str] = []

    async def flaky_once(**kwargs: Any) -> ReconcileReport:
        calls.append(kwargs["worker_id"])
        if len(calls) == 1:
            raise RuntimeError("database went away")
        if len(calls) == 3:
            stop.set()
        return ReconcileReport(worker_id=kwargs["worker_id"])

    monkeypatch.setattr(reconcile_module, "reconcile_once", flaky_once)
    seen: list[ReconcileReport] = []

    await asyncio.wait_for(
        reconcile_loop(deps=sqlite_world.deps, interval=0, stop=stop, on_report=seen.append), timeout=10
    )

    assert len(calls) == 3 and len(set(calls)) == 1  # one worker id for the loop's life
    assert len(seen) == 2
    assert any("reconcile run failed" in r.message and r.exc_info for r in caplog.records)


async def test_the_loop_reconciles_until_stopped(shop, khalti):
    world, user_id, plan = shop
    payment = pending(world, user_id, plan)
    KhaltiSays(world, khalti)
    world.clock.advance(SETTLE)
    stop = asyncio.Event()
    reports: list[ReconcileReport] = []

    def got(report: ReconcileReport) -> None:
        reports.append(report)
        stop.set()

    await asyncio.wait_for(reconcile_loop(deps=world.deps, interval=3600, stop=stop, on_report=got), timeout=10)

    assert [r.completed for r in reports] == [1]
    assert world.get(Payment, payment.id).status == "completed" and len(periods(world)) == 1


async def test_cancelling_the_loop_stops_it(sqlite_world):
    task = asyncio.create_task(reconcile_loop(deps=sqlite_world.deps, interval=3600))
    for _ in range(50):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    ("db_url", "flag", "expected"),
    [
        ("sqlite:///x.db", None, True),
        ("sqlite:///x.db", "0", False),  # the operator runs `reconcile --loop` instead (exactly one on SQLite)
        ("postgresql+psycopg://u@h/db", None, True),
        ("postgresql+psycopg://u@h/db", "1", True),
        ("postgresql+psycopg://u@h/db", "0", False),
    ],
)
def test_when_the_web_server_reconciles_in_process(db_url, flag, expected):
    env = {"REFLEX_DB_URL": db_url} | ({} if flag is None else {"RECONCILE_IN_PROCESS": flag})
    assert run_in_process(make_settings(**env)) is expected
