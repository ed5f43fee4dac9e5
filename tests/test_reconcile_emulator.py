"""The reconciler against the Khalti emulator (in-process, over ASGI): payers who paid, canceled or walked
away and never came back to the return page. `EmulatorKhalti` is shared with tests/test_faults.py."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.billing.checkout import start_checkout
from khalti_portal.billing.reconcile import ReconcileReport, reconcile_once
from khalti_portal.db.models import Payment, PaymentEvent, SubscriptionPeriod
from khalti_portal.khalti import KhaltiClient
from khalti_portal.sandbox import create_emulator_app
from tests.emulator_support import HostedPage, pidx_of

pytest_plugins = ["tests.db_fixtures"]

EMULATOR_BASE = "http://khalti.emulator.test/sandbox/khalti/"
SETTLE = timedelta(seconds=30)
PRICE = 49_900


def mounted(app: Starlette) -> Starlette:
    """Mounted where the portal mounts it."""
    return Starlette(routes=[Mount("/sandbox/khalti", app=app)])


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the requests a KhaltiClient sends, by endpoint ("initiate", "lookup"), whatever the answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, counts: Counter[str]) -> None:
        self.inner = inner
        self.counts = counts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[request.url.path.rstrip("/").rsplit("/", 1)[-1]] += 1
        return await self.inner.handle_async_request(request)


class EmulatorKhalti:
    """Two emulators on one SQLite file — one healthy, one failing every API call — and BillingDeps whose
    client talks to whichever `up` selects, counting requests. Control routes always go to the healthy one."""

    def __init__(self, world, tmp_path, *, fault: str = "unavailable") -> None:
        db_path = str(tmp_path / "emulator.db")
        common: dict[str, Any] = {"secret_key": world.khalti_key, "db_path": db_path, "clock": world.clock}
        self.healthy = create_emulator_app(**common)
        self.faulty = create_emulator_app(**common, failure_rate=1.0, faults=(fault,), hang_seconds=0)
        self.up = True
        self.requests: Counter[str] = Counter()
        self.client_timeout: httpx.Timeout | None = None
        self.deps = dataclasses.replace(world.deps, khalti_factory=self.client)

    def client(self) -> KhaltiClient:
        app = self.healthy if self.up else self.faulty
        transport = CountingTransport(httpx.ASGITransport(app=mounted(app)), self.requests)
        return KhaltiClient(
            secret_key=self.deps.settings.khalti_secret_key,
            base_url=EMULATOR_BASE,
            transport=transport,
            timeout=self.client_timeout,
        )

    def browser(self) -> httpx.AsyncClient:
        """Plain HTTP to the healthy emulator: the hosted page and the control routes."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=mounted(self.healthy)), base_url=EMULATOR_BASE)

    async def force(self, pidx: str, status: str) -> None:
        async with self.browser() as browser:
            response = await browser.post(f"_control/{pidx}", json={"status": status})
            assert response.status_code == 200, response.text

    async def stats(self) -> dict[str, Any]:
        async with self.browser() as browser:
            return (await browser.get("_control/stats")).json()

    def dispose(self) -> None:
        for app in (self.healthy, self.faulty):
            app.state.emulator_store.dispose()


@pytest.fixture
def emulator(world, tmp_path):
    khalti = EmulatorKhalti(world, tmp_path)
    yield khalti
    khalti.dispose()


async def pay_by_checkout(world, emulator: EmulatorKhalti) -> tuple[int, Payment]:
    """A subscriber starts checkout through the emulator; returns (user_id, the pending payment)."""
    user_id = world.user()
    world.plan("basic", price_paisa=PRICE, duration_days=30)
    outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=emulator.deps)
    assert outcome.ok and outcome.payment_url
    payment = world.get(Payment, outcome.payment_id)
    assert payment.status == "pending" and payment.pidx == pidx_of(outcome.payment_url)
    return user_id, payment


async def reconcile(emulator: EmulatorKhalti, **kwargs: Any) -> ReconcileReport:
    kwargs.setdefault("retry_delays", (0.0, 0.0))
    return await reconcile_once(deps=emulator.deps, **kwargs)


def periods_of(world, payment: Payment) -> list[SubscriptionPeriod]:
    return world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment.id)


def transitions_of(world, payment: Payment) -> list[tuple[str | None, str | None, str]]:
    events = world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "transition")
    return [(e.from_status, e.to_status, e.source) for e in events]


async def test_paid_with_the_tab_closed_one_run_grants_exactly_one_period(world, emulator):
    _, payment = await pay_by_checkout(world, emulator)
    await emulator.force(payment.pidx, "Completed")  # paid on Khalti; nobody opens the return page
    world.clock.advance(SETTLE)

    report = await reconcile(emulator)

    assert (report.claimed, report.completed, report.errors) == (1, 1, 0)
    stored = world.get(Payment, payment.id)
    assert stored.status == "completed" and stored.transaction_id
    assert len(periods_of(world, payment)) == 1
    assert transitions_of(world, payment) == [
        ("created", "pending", "checkout"),
        ("pending", "completed", "reconciler"),
    ]
    assert (await emulator.stats())["lookups"] == {payment.pidx: 1}

    world.clock.advance(timedelta(hours=2))
    later = await reconcile(emulator)
    assert later.claimed == 0 and len(periods_of(world, payment)) == 1
    assert (await emulator.stats())["lookups"] == {payment.pidx: 1}


async def test_paid_on_the_hosted_page_without_following_the_redirect(world, emulator):
    _, payment = await pay_by_checkout(world, emulator)
    async with emulator.browser() as browser:
        location = await HostedPage(browser).complete(payment.payment_url)
    assert "status=Completed" in location  # the redirect the closed tab never followed
    world.clock.advance(SETTLE)

    report = await reconcile(emulator)

    assert report.completed == 1
    assert world.get(Payment, payment.id).status == "completed"
    assert len(periods_of(world, payment)) == 1


async def test_canceled_on_the_hosted_page_then_closed_becomes_canceled(world, emulator):
    _, payment = await pay_by_checkout(world, emulator)
    async with emulator.browser() as browser:
        await HostedPage(browser).cancel(payment.payment_url)
    world.clock.advance(SETTLE)

    report = await reconcile(emulator)

    assert report.changed == {"canceled": 1}
    assert world.get(Payment, payment.id).status == "canceled"
    assert periods_of(world, payment) == []


async def test_a_walked_away_payment_stays_pending_then_expires_with_its_link(world, emulator):
    _, payment = await pay_by_checkout(world, emulator)
    world.clock.advance(SETTLE)

    first = await reconcile(emulator)
    assert (first.claimed, first.still_pending) == (1, 1)
    assert world.get(Payment, payment.id).status == "pending"

    world.clock.advance(timedelta(hours=1))  # the emulator's link lived an hour
    second = await reconcile(emulator)

    assert second.changed == {"expired": 1}
    assert world.get(Payment, payment.id).status == "expired"
    assert periods_of(world, payment) == []
    assert (await emulator.stats())["lookups"] == {payment.pidx: 2}


async def test_paid_after_a_pending_lookup_is_completed_when_next_due(world, emulator):
    _, payment = await pay_by_checkout(world, emulator)
    world.clock.advance(SETTLE)
    assert (await reconcile(emulator)).still_pending == 1
    await emulator.force(payment.pidx, "Completed")

    not_yet = await reconcile(emulator)  # backed off: not asked again at once
    world.clock.advance(SETTLE)
    due = await reconcile(emulator)

    assert not_yet.claimed == 0 and due.completed == 1
    assert len(periods_of(world, payment)) == 1
    assert (await emulator.stats())["lookups"] == {payment.pidx: 2}
