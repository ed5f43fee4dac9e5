"""refund_payment end to end against the in-process Khalti emulator (and respx for answers it never gives):
success refunds, revokes and audits; every failure changes nothing and says why in words."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.api import build_api
from khalti_portal.billing.admin.access import refund_flagged
from khalti_portal.billing.admin.refunds import refund_payment
from khalti_portal.billing.checkout import start_checkout
from khalti_portal.billing.periods import grant_period
from khalti_portal.billing.subscription import expires_at
from khalti_portal.billing.verification import verify_payment
from khalti_portal.config import Settings, load_settings
from khalti_portal.db.models import Payment, PaymentEvent, PaymentStatus, SubscriptionPeriod
from khalti_portal.khalti import KhaltiClient
from tests.db_fixtures import BillingWorld
from tests.emulator_support import HostedPage, pidx_of

BASE = "http://localhost/sandbox/khalti/"
REASON = "customer asked for their money back"


# -- the emulator, in process ----------------------------------------------------------------------------


@pytest.fixture
def emulator_settings(tmp_path) -> Settings:
    return load_settings(
        {"KHALTI_EMULATOR_DB": str(tmp_path / "emulator.db"), "APP_URL": "http://localhost:3000", "GRACE_DAYS": "3"}
    )


@pytest.fixture
def api(emulator_settings) -> Iterator[Starlette]:
    app = build_api(emulator_settings)
    yield app
    for route in app.routes:
        if isinstance(route, Mount):
            route.app.state.emulator_store.dispose()


def emulator_client(api: Starlette, key: str) -> KhaltiClient:
    return KhaltiClient(secret_key=key, base_url=BASE, transport=httpx.ASGITransport(app=api))


@pytest.fixture
def world(db_engine, make_world, api, emulator_settings) -> BillingWorld:
    """A BillingWorld whose Khalti is the emulator (settings in emulator mode, the client over ASGI)."""
    made = make_world(db_engine)
    made.settings = emulator_settings
    made.deps = dataclasses.replace(
        made.deps,
        settings=emulator_settings,
        khalti_factory=lambda: emulator_client(api, emulator_settings.khalti_secret_key),
    )
    return made


@pytest.fixture
async def browser(api) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=BASE) as client:
        yield client


async def paid_payment(world: BillingWorld, browser: httpx.AsyncClient, user_id: int | None = None) -> Payment:
    """Checkout → the hosted page → verify: a completed payment with its period, as a subscriber leaves it."""
    user_id = user_id or world.user()
    started = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)
    assert started.ok, started.message
    await HostedPage(browser).complete(started.payment_url)
    outcome = await verify_payment(pidx_of(started.payment_url), source="return", deps=world.deps)
    assert outcome.status == "completed"
    return world.get(Payment, started.payment_id)


def events(world: BillingWorld, payment_id: int, kind: str | None = None) -> list[PaymentEvent]:
    where = [PaymentEvent.payment_id == payment_id]
    if kind:
        where.append(PaymentEvent.kind == kind)
    return world.rows(PaymentEvent, *where)


def period_of(world: BillingWorld, payment_id: int) -> SubscriptionPeriod:
    [period] = world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment_id)
    return period


def state_of(world: BillingWorld, payment_id: int) -> dict[str, Any]:
    """What a failed refund must leave alone: the payment and every period."""
    with Session(world.engine) as session:
        payment = session.get(Payment, payment_id).model_dump()
        periods = [p.model_dump() for p in session.exec(select(SubscriptionPeriod).order_by(SubscriptionPeriod.id))]
    return {"payment": payment, "periods": periods}


@pytest.fixture
def plan(world):
    return world.plan("basic", price_paisa=49_900, duration_days=30)


# -- success ----------------------------------------------------------------------------------------------


async def test_a_refund_refunds_on_khalti_then_verify_applies_it_and_revokes_the_period(world, plan, browser):
    admin = world.user("admin_refunds")
    payment = await paid_payment(world, browser)
    assert expires_at(payment.user_id, deps=world.deps) is not None

    outcome = await refund_payment(payment.id, actor_user_id=admin, reason=f"  {REASON} ", deps=world.deps)

    assert (outcome.kind, outcome.ok, outcome.status) == ("refunded", True, "refunded")
    assert "Refunded Rs 499" in outcome.message and payment.purchase_order_id in outcome.message
    stored = world.get(Payment, payment.id)
    assert stored.status == "refunded"
    assert (stored.refunded_at, stored.refunded_paisa) == (world.now(), 49_900)
    assert stored.completed_at is not None  # it was paid: the month's revenue keeps it, refunds subtract it
    assert period_of(world, payment.id).revoked_at == world.now()
    assert expires_at(payment.user_id, deps=world.deps) is None
    # Khalti agrees: the lookup says Refunded.
    async with world.deps.khalti_factory() as client:
        looked = await client.lookup(payment.pidx)
    assert (looked.status_text, looked.refunded) == ("Refunded", True)
    # The audit: the request (with its reason, before Khalti was called), the result, then verify's transition.
    refund_rows = events(world, payment.id, "refund")
    assert [(e.source, e.actor_user_id) for e in refund_rows] == [("admin", admin)] * 2
    assert REASON in refund_rows[0].detail and "requested" in refund_rows[0].detail
    assert refund_rows[1].detail.startswith("Khalti accepted the refund")
    assert refund_rows[1].khalti_response == {"detail": "Transaction refund successful."}
    [transition] = [e for e in events(world, payment.id, "transition") if e.to_status == "refunded"]
    assert (transition.source, transition.from_status) == ("admin", "completed")
    assert refund_rows[0].id < refund_rows[1].id < transition.id


async def test_refunding_the_earlier_of_two_stacked_payments_moves_the_later_period_up(world, plan, browser):
    admin, user = world.user(), world.user()
    first = await paid_payment(world, browser, user)
    second = await paid_payment(world, browser, user)
    assert period_of(world, second.id).starts_at == period_of(world, first.id).ends_at

    outcome = await refund_payment(first.id, actor_user_id=admin, reason=REASON, deps=world.deps)

    assert outcome.kind == "refunded"
    later = period_of(world, second.id)
    assert (later.starts_at, later.ends_at) == (world.now(), world.now() + timedelta(days=30))


# -- failures change nothing --------------------------------------------------------------------------


async def test_a_transaction_already_refunded_on_khalti_is_refused_and_nothing_changes(world, plan, browser):
    admin = world.user()
    payment = await paid_payment(world, browser)
    async with world.deps.khalti_factory() as client:  # refunded elsewhere (Khalti's merchant dashboard, say)
        await client.refund(payment.transaction_id)
    before = state_of(world, payment.id)

    outcome = await refund_payment(payment.id, actor_user_id=admin, reason=REASON, deps=world.deps)

    assert (outcome.kind, outcome.ok, outcome.status) == ("khalti_refused", False, "completed")
    assert "Khalti refused the refund" in outcome.message
    assert "its status is Refunded" in outcome.message  # Khalti's own words: why
    assert "Check now" in outcome.message  # and what to do about it
    assert world.deps.settings.khalti_secret_key not in outcome.message
    assert "{" not in outcome.message  # words, not the body
    assert state_of(world, payment.id) == before
    _request, result = events(world, payment.id, "refund")
    assert result.detail.startswith("refund failed, nothing changed: khalti_refused (KhaltiValidationError; HTTP 400)")
    assert result.actor_user_id == admin and result.source == "admin"
    # Check now, as the message advises, brings the payment up to date.
    checked = await verify_payment(payment.pidx, source="admin", deps=world.deps)
    assert checked.status == "refunded"


async def test_a_transaction_khalti_does_not_know_is_a_404_and_nothing_changes(world, plan, browser):
    admin = world.user()
    payment = await paid_payment(world, browser)
    with Session(world.engine) as session:
        session.get(Payment, payment.id).transaction_id = "NoSuchTransaction0000x"
        session.commit()
    before = state_of(world, payment.id)

    outcome = await refund_payment(payment.id, actor_user_id=admin, reason=REASON, deps=world.deps)

    assert (outcome.kind, outcome.ok) == ("khalti_not_found", False)
    assert "Khalti has no transaction NoSuchTransaction0000x to refund" in outcome.message
    assert state_of(world, payment.id) == before
    assert "HTTP 404" in events(world, payment.id, "refund")[-1].detail


async def test_a_wrong_key_is_refused_without_showing_the_key(world, plan, browser, api):
    admin = world.user()
    payment = await paid_payment(world, browser)
    wrong_key = "wrong_secret_key_abcdef0123456789"
    deps = dataclasses.replace(world.deps, khalti_factory=lambda: emulator_client(api, wrong_key))
    before = state_of(world, payment.id)

    outcome = await refund_payment(payment.id, actor_user_id=admin, reason=REASON, deps=deps)

    assert outcome.kind == "khalti_auth"
    assert "merchant key" in outcome.message and wrong_key not in outcome.message
    assert state_of(world, payment.id) == before
    assert all(wrong_key not in (e.detail or "") + str(e.khalti_response) for e in events(world, payment.id))


@pytest.mark.parametrize("status", ["pending", "canceled", "refunded", "expired", "failed", "created"])
async def test_only_completed_and_flagged_payments_are_refunded(world, plan, status):
    payment = world.payment(user_id=world.user(), plan=plan, status=PaymentStatus(status))
    before = state_of(world, payment.id)
    outcome = await refund_payment(payment.id, actor_user_id=world.user(), reason=REASON, deps=world.deps)
    assert (outcome.kind, outcome.ok) == ("not_refundable", False)
    assert f"this one is {status}" in outcome.message
    assert state_of(world, payment.id) == before and events(world, payment.id) == []


@pytest.mark.parametrize("reason", ["", "   ", None, 42, "x" * 501])
async def test_a_reason_is_required_and_at_most_500_characters(world, plan, browser, reason):
    payment = await paid_payment(world, browser)
    before, audit = state_of(world, payment.id), events(world, payment.id)
    outcome = await refund_payment(payment.id, actor_user_id=world.user(), reason=reason, deps=world.deps)
    assert (outcome.kind, outcome.ok) == ("invalid", False)
    assert "reason" in outcome.message
    assert state_of(world, payment.id) == before and events(world, payment.id) == audit


@pytest.mark.parametrize("bad_id", [0, -1, 10**12, True, 2.0, "abc", None, 999_999])
async def test_unknown_payment_ids_are_refused(world, plan, bad_id):
    outcome = await refund_payment(bad_id, actor_user_id=1, reason=REASON, deps=world.deps)
    assert outcome.kind == "invalid" and "no such payment" in outcome.message
    assert world.rows(PaymentEvent) == []


async def test_a_completed_payment_without_a_transaction_id_is_not_sent_to_khalti(world, plan):
    payment = world.payment(user_id=world.user(), plan=plan, status=PaymentStatus.COMPLETED)
    outcome = await refund_payment(payment.id, actor_user_id=world.user(), reason=REASON, deps=world.deps)
    assert outcome.kind == "not_refundable" and "no transaction id" in outcome.message


# -- flagged payments: the refund path works too ---------------------------------------------------------


async def test_a_flagged_payment_is_refunded_and_verify_moves_it_flagged_to_refunded(world, plan, browser):
    admin, user = world.user(), world.user()
    started = await start_checkout(user_id=user, plan_slug="basic", deps=world.deps)
    pidx = pidx_of(started.payment_url)
    # The payer paid a different amount than we asked for.
    forced = await browser.post(f"_control/{pidx}", json={"status": "Completed", "total_amount": 49_000})
    assert forced.status_code == 200
    assert (await verify_payment(pidx, source="reconciler", deps=world.deps)).status == "flagged"

    outcome = await refund_flagged(started.payment_id, actor_user_id=admin, reason=REASON, deps=world.deps)

    assert (outcome.kind, outcome.status) == ("refunded", "refunded")
    stored = world.get(Payment, started.payment_id)
    assert stored.status == "refunded" and stored.completed_at is None
    assert world.rows(SubscriptionPeriod) == []
    [transition] = [e for e in events(world, started.payment_id, "transition") if e.to_status == "refunded"]
    assert transition.from_status == "flagged" and transition.source == "admin"
    assert [e.actor_user_id for e in events(world, started.payment_id, "refund")] == [admin, admin]


async def test_refund_flagged_refuses_a_payment_that_is_not_flagged(world, plan, browser):
    payment = await paid_payment(world, browser)
    before = state_of(world, payment.id)
    outcome = await refund_flagged(payment.id, actor_user_id=world.user(), reason=REASON, deps=world.deps)
    assert outcome.kind == "not_refundable" and "not flagged" in outcome.message
    assert state_of(world, payment.id) == before


# -- answers the emulator never gives (respx) -----------------------------------------------------------


def completed(world: BillingWorld, plan) -> Payment:
    payment = world.payment(user_id=world.user(), plan=plan, status=PaymentStatus.COMPLETED)
    with Session(world.engine, expire_on_commit=False) as session:
        stored = session.get(Payment, payment.id)
        stored.transaction_id, stored.completed_at = "TXN42", world.now()
        grant_period(
            session,
            user_id=stored.user_id,
            plan_id=plan.id,
            payment_id=stored.id,
            duration_days=30,
            now=world.now(),
            mode=world.settings.khalti_env,
        )
        session.commit()
    return world.get(Payment, payment.id)


@pytest.fixture
def respx_world(sqlite_engine, make_world) -> BillingWorld:
    return make_world(sqlite_engine)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (httpx.TimeoutException("read timed out"), "did not answer in time"),
        (httpx.Response(503, text="<html>503 Service Temporarily Unavailable</html>"), "is having trouble (HTTP 503)"),
        (httpx.Response(200, json={"unexpected": True}), "in a way we did not expect"),
    ],
)
async def test_an_unclear_answer_changes_nothing_and_says_the_refund_may_have_happened(
    respx_world, khalti, answer, words
):
    world = respx_world
    plan = world.plan()
    payment = completed(world, plan)
    if isinstance(answer, Exception):
        khalti.routes["refund"].mock(side_effect=answer)
    else:
        khalti.routes["refund"].mock(return_value=answer)
    before = state_of(world, payment.id)

    outcome = await refund_payment(payment.id, actor_user_id=world.user(), reason=REASON, deps=world.deps)

    assert outcome.kind == "khalti_unclear" and not outcome.ok
    assert words in outcome.message and "may still have gone through" in outcome.message
    assert "<html>" not in outcome.message and world.khalti_key not in outcome.message
    # Nothing changes but the record of the request, so the reconciler follows it up within the hour.
    after = state_of(world, payment.id)
    requested, next_check = after["payment"].pop("refund_requested_at"), after["payment"].pop("next_check_at")
    assert (requested, next_check) == (world.now(), world.now() + timedelta(hours=1))
    before["payment"].pop("refund_requested_at"), before["payment"].pop("next_check_at")
    assert after == before
    assert khalti.routes["lookup"].call_count == 0
    assert khalti.routes["refund"].calls.last.request.url.path == "/api/merchant-transaction/TXN42/refund/"
    assert khalti.routes["refund"].calls.last.request.content == b"{}"  # empty body: a full refund


async def test_khalti_accepts_but_its_lookup_lags_so_nothing_is_applied_yet(respx_world, khalti):
    world = respx_world
    plan = world.plan()
    payment = completed(world, plan)
    khalti.routes["refund"].respond(200, json={"detail": "Transaction refund successful."})
    khalti.routes["lookup"].respond(
        200, json=world.lookup_body(payment.pidx, "Completed", 49_900, transaction_id="TXN42")
    )

    outcome = await refund_payment(payment.id, actor_user_id=world.user(), reason=REASON, deps=world.deps)

    assert (outcome.kind, outcome.ok, outcome.status) == ("accepted", True, "completed")
    assert "still says 'Completed'" in outcome.message and "Check now" in outcome.message
    stored = world.get(Payment, payment.id)
    assert stored.status == "completed"
    # Recorded, so the reconciler looks it up within the hour without anyone pressing Check now.
    assert (stored.refund_requested_at, stored.next_check_at) == (world.now(), world.now() + timedelta(hours=1))
    # Once Khalti's lookup catches up, Check now applies it.
    khalti.routes["lookup"].respond(
        200, json=world.lookup_body(payment.pidx, "Refunded", 49_900, transaction_id="TXN42", refunded=True)
    )
    assert (await verify_payment(payment.pidx, source="admin", deps=world.deps)).status == "refunded"
    assert world.rows(SubscriptionPeriod)[0].revoked_at is not None
