"""Handlers that reach Khalti, fired at will as a hostile client would: Khalti (the emulator, counting) sees a handful.

The emulator runs in-process over ASGI with a little latency, so concurrent lookups really overlap; its
`_control/stats` counts every lookup it answered. Each test runs with the database and with Redis as
the store of the cross-worker limits.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import Session, select

from khalti_portal.api import build_api
from khalti_portal.billing import deps as billing_deps
from khalti_portal.billing.plans import seed_demo_plans
from khalti_portal.config import Settings, get_settings
from khalti_portal.db.models import Payment, PaymentEvent
from khalti_portal.db.session import get_engine
from khalti_portal.khalti import KhaltiClient
from khalti_portal.states import payment_return
from khalti_portal.states.checkout import TOO_MANY_CHECKOUTS, CheckoutState
from khalti_portal.states.payment_return import PaymentReturnState
from tests.emulator_support import pidx_of
from tests.state_support import StateDriver, navigation_target, new_user

pytest_plugins = ["tests.throttle_fixtures"]

ORIGIN = "http://localhost:3000"
EVENTS = 1000
TABS = 10
HANDFUL = 3


@pytest.fixture
def emulator(backend, monkeypatch) -> httpx.AsyncClient:
    """The emulator in-process (20 ms per answer); billing's client and the test reach it over ASGI."""
    monkeypatch.setenv("KHALTI_EMULATOR_LATENCY_MS", "20")
    get_settings.cache_clear()
    api = build_api(get_settings())

    def factory_for(s: Settings):
        return lambda: KhaltiClient(
            secret_key=s.khalti_secret_key, base_url=s.khalti_base_url, transport=httpx.ASGITransport(app=api)
        )

    monkeypatch.setattr(billing_deps, "khalti_factory_for", factory_for)
    seed_demo_plans()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=ORIGIN)


async def start_payment(user_id: int, slug: str = "basic") -> str:
    """Check out as `user_id` through the page state; returns the pidx the emulator gave."""
    tab = StateDriver(user_id=user_id)
    state = tab.state(CheckoutState, f"/checkout/{slug}", route="/checkout/[plan]")
    await tab.run(state, "load")
    await tab.run(state, "pay")
    return pidx_of(navigation_target(tab.events[-1]))


async def lookups_seen(emulator: httpx.AsyncClient, pidx: str) -> int:
    stats = (await emulator.get("/sandbox/khalti/_control/stats")).json()
    return stats["lookups"].get(pidx, 0)


async def set_status(emulator: httpx.AsyncClient, pidx: str, status: str) -> None:
    response = await emulator.post(f"/sandbox/khalti/_control/{pidx}", json={"status": status})
    assert response.status_code == 200, response.text


async def fire_verify(pidx: str, user_id: int | None, events: int = EVENTS) -> list[PaymentReturnState]:
    """`events` verify events for `pidx`, spread over TABS tabs, all at once."""
    tabs = [StateDriver(user_id=user_id, client_ip=f"198.51.100.{i}") for i in range(TABS)]
    states = [tab.state(PaymentReturnState, f"/payment/return?pidx={pidx}") for tab in tabs]
    await asyncio.gather(*(tabs[i % TABS].run(states[i % TABS], "verify") for i in range(events)))
    return states


def audit_lookups(pidx: str) -> list[PaymentEvent]:
    with Session(get_engine()) as session:
        payment = session.exec(select(Payment).where(Payment.pidx == pidx)).one()
        return list(
            session.exec(
                select(PaymentEvent).where(PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "lookup")
            )
        )


async def test_a_thousand_verify_events_from_strangers_make_a_handful_of_lookups(emulator, monkeypatch) -> None:
    owner = new_user()
    pidx = await start_payment(owner)
    await set_status(emulator, pidx, "Completed")
    states = await fire_verify(pidx, user_id=None)  # signed out: nobody's payment, applied to its owner anyway
    states += await fire_verify(pidx, user_id=new_user())  # someone else, signed in
    assert 1 <= await lookups_seen(emulator, pidx) <= HANDFUL
    assert {s.status for s in states} <= {"verifying", "not_found"}
    assert len(audit_lookups(pidx)) <= HANDFUL
    with Session(get_engine()) as session:
        assert session.exec(select(Payment.status).where(Payment.pidx == pidx)).one() == "completed"


async def test_a_thousand_verify_events_from_the_owner_make_a_handful_of_lookups_and_one_recheck_loop(
    emulator, monkeypatch
) -> None:
    owner = new_user()
    pidx = await start_payment(owner)  # still Initiated at Khalti: the return page would keep re-checking
    loops_started, others_done = [], asyncio.Event()

    async def recheck_until_every_other_event_is_answered(self, pidx: str, token: str, viewer: int | None) -> None:
        # Holds the loop open until every other verify event has returned, so a second loop would overlap it.
        loops_started.append(pidx)
        await asyncio.wait_for(others_done.wait(), timeout=60)

    monkeypatch.setattr(PaymentReturnState, "_recheck", recheck_until_every_other_event_is_answered)
    tabs = [StateDriver(user_id=owner, client_ip="203.0.113.7") for _ in range(TABS)]
    states = [tab.state(PaymentReturnState, f"/payment/return?pidx={pidx}") for tab in tabs]
    answered = 0

    async def one_event(i: int) -> None:
        nonlocal answered
        await tabs[i % TABS].run(states[i % TABS], "verify")
        answered += 1
        if answered == EVENTS - 1:
            others_done.set()

    await asyncio.gather(*(one_event(i) for i in range(EVENTS)))
    assert loops_started == [pidx]
    assert 1 <= await lookups_seen(emulator, pidx) <= HANDFUL
    assert {s.status for s in states} == {"pending"}
    assert len(audit_lookups(pidx)) <= HANDFUL


async def test_the_one_recheck_loop_still_completes_the_payment(emulator, monkeypatch) -> None:
    owner = new_user()
    pidx = await start_payment(owner)
    monkeypatch.setattr(payment_return, "FIRST_RECHECK_SECONDS", 0.0)  # re-check at once, as often as allowed
    monkeypatch.setattr(payment_return, "RECHECK_FOR_SECONDS", 60.0)
    real_verify = payment_return.verify_from_page
    calls = 0

    async def verify_then_pay(pidx: str, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:  # the payer finishes on Khalti while the loop is running
            await set_status(emulator, pidx, "Completed")
        return await real_verify(pidx, **kwargs)

    monkeypatch.setattr(payment_return, "verify_from_page", verify_then_pay)
    tab = StateDriver(user_id=owner)
    state = tab.state(PaymentReturnState, f"/payment/return?pidx={pidx}")
    await tab.run(state, "verify")
    assert state.status == "completed"
    assert await lookups_seen(emulator, pidx) == 2


async def test_at_most_five_checkouts_per_user_in_ten_minutes(emulator) -> None:
    user_id = new_user()
    tab = StateDriver(user_id=user_id)
    messages = []
    for i in range(8):
        slug = ("basic", "standard", "premium")[i % 3]
        state = tab.state(CheckoutState, f"/checkout/{slug}", route="/checkout/[plan]")
        await tab.run(state, "start_payment")  # straight to the background handler, past the busy flag
        messages.append(state.error_message)
    assert messages[5:] == [TOO_MANY_CHECKOUTS] * 3
    stats = (await emulator.get("/sandbox/khalti/_control/stats")).json()
    assert stats["initiates"] <= 5
    with Session(get_engine()) as session:
        assert len(session.exec(select(Payment).where(Payment.user_id == user_id)).all()) <= 5
    # Another subscriber is not held up by this one.
    other = StateDriver(user_id=new_user())
    state = other.state(CheckoutState, "/checkout/basic", route="/checkout/[plan]")
    await other.run(state, "start_payment")
    assert state.error_message == ""
