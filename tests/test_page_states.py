"""Page states called as the browser would: the return page never trusts the URL, pages refuse strangers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from sqlalchemy import event
from sqlmodel import Session, select

from khalti_portal import reading_preferences
from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import Payment, PaymentEvent, Plan, SubscriptionPeriod
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.dates import Calendar, format_day, format_moment
from khalti_portal.states import payment_return
from khalti_portal.states.catalog import CatalogState
from khalti_portal.states.checkout import CheckoutState
from khalti_portal.states.dashboard import DashboardState, dashboard_view
from khalti_portal.states.payment_return import PaymentReturnState
from tests.state_support import StateDriver, add_plan, navigation_target, new_user, redirect_target


@pytest.fixture
def khalti_api(app_db):
    """Khalti (the configured base URL) mocked with respx."""
    base = get_settings().khalti_base_url
    with respx.mock(base_url=base, assert_all_called=False) as router:
        yield router


@pytest.fixture(autouse=True)
def no_recheck_wait(monkeypatch):
    # A pending result would re-check at 2 s doubling for 5 minutes; tests look once.
    monkeypatch.setattr(payment_return, "RECHECK_FOR_SECONDS", 0.0)


def add_payment(user_id: int, plan: Plan, pidx: str, *, status: str = "pending") -> Payment:
    with Session(get_engine(), expire_on_commit=False) as s:
        payment = Payment(
            purchase_order_id=f"KP-{pidx}",
            user_id=user_id,
            plan_id=plan.id,
            amount_paisa=plan.price_paisa,
            plan_name=plan.name,
            duration_days=plan.duration_days,
            status=status,
            pidx=pidx,
        )
        s.add(payment)
        s.commit()
        return payment


def lookup_body(pidx: str, status: str, amount: int, txn: str | None = None) -> dict:
    return {"pidx": pidx, "total_amount": amount, "status": status, "transaction_id": txn, "fee": 0, "refunded": False}


def rows(model) -> list:
    with Session(get_engine()) as s:
        return list(s.exec(select(model)).all())


async def test_forged_completed_return_grants_nothing(app_db, khalti_api) -> None:
    owner = new_user("owner1")
    plan = add_plan()
    add_payment(owner, plan, "pidxForged0000000000001")
    khalti_api.post("api/v2/epayment/lookup/").respond(
        200, json=lookup_body("pidxForged0000000000001", "Initiated", plan.price_paisa)
    )
    tab = StateDriver(user_id=owner)
    state = tab.state(
        PaymentReturnState,
        "/payment/return?pidx=pidxForged0000000000001&status=Completed"
        f"&amount={plan.price_paisa}&total_amount={plan.price_paisa}&transaction_id=FAKE",
    )
    await tab.run(state, "load")
    assert state.status == "pending"
    assert rows(SubscriptionPeriod) == []
    assert [p.status for p in rows(Payment)] == ["pending"]
    assert khalti_api.routes[0].call_count == 1  # the server asked Khalti instead of believing the URL


async def test_another_users_pidx_is_not_found_but_still_applied_to_its_owner(app_db, khalti_api) -> None:
    owner, stranger = new_user("owner2"), new_user("stranger2")
    plan = add_plan()
    add_payment(owner, plan, "pidxOwned00000000000002")
    khalti_api.post("api/v2/epayment/lookup/").respond(
        200, json=lookup_body("pidxOwned00000000000002", "Completed", plan.price_paisa, "txn2")
    )
    tab = StateDriver(user_id=stranger)
    state = tab.state(PaymentReturnState, "/payment/return?pidx=pidxOwned00000000000002")
    await tab.run(state, "load")
    assert state.status == "not_found"
    assert state.reference == "" and state.expires_display == ""
    periods = rows(SubscriptionPeriod)
    assert [(p.user_id, p.payment_id is not None) for p in periods] == [(owner, True)]


@pytest.mark.parametrize(
    "query", ["", "?pidx=", "?pidx=unknownPidx000000000000", "?pidx=%3Cscript%3E", "?message=Payment%20failed"]
)
async def test_missing_unknown_or_malformed_pidx_is_not_found(app_db, khalti_api, query: str) -> None:
    anything = khalti_api.route()  # a catch-all: respx records no request that matches no route
    user = new_user("someone3")
    tab = StateDriver(user_id=user)
    state = tab.state(PaymentReturnState, "/payment/return" + query)
    await tab.run(state, "load")
    assert state.status == "not_found"
    assert not anything.called


async def test_owner_sees_completed_with_expiry_and_reference(app_db, khalti_api) -> None:
    owner = new_user("owner4")
    plan = add_plan()
    add_payment(owner, plan, "pidxPaid000000000000004")
    khalti_api.post("api/v2/epayment/lookup/").respond(
        200, json=lookup_body("pidxPaid000000000000004", "Completed", plan.price_paisa, "txn4")
    )
    tab = StateDriver(user_id=owner)
    state = tab.state(PaymentReturnState, "/payment/return?pidx=pidxPaid000000000000004&status=Completed")
    await tab.run(state, "load")
    assert state.status == "completed"
    assert state.reference == "KP-pidxPaid000000000000004"
    [period] = rows(SubscriptionPeriod)
    # The owner chose no calendar: the site's default, both, built here by the dates module.
    assert state.expires_display == format_moment(period.ends_at, Calendar.BOTH)
    # The same return opened again (refresh, back button) grants nothing more.
    await tab.run(state, "load")
    assert len(rows(SubscriptionPeriod)) == 1
    transitions = [e for e in rows(PaymentEvent) if e.kind == "transition" and e.to_status == "completed"]
    assert len(transitions) == 1 and transitions[0].source == "return"


async def test_a_tab_that_signs_out_while_khalti_answers_is_shown_nothing(app_db, khalti_api) -> None:
    owner = new_user("leaver21")
    plan = add_plan()
    add_payment(owner, plan, "pidxLeave00000000000021")
    tab = StateDriver(user_id=owner)
    state = tab.state(PaymentReturnState, "/payment/return?pidx=pidxLeave00000000000021")

    def sign_out_while_answering(request: httpx.Request) -> httpx.Response:
        state.session_token = ""  # what `sign_out` leaves in the tab, meanwhile
        return httpx.Response(200, json=lookup_body("pidxLeave00000000000021", "Completed", plan.price_paisa, "t21"))

    khalti_api.post("api/v2/epayment/lookup/").mock(side_effect=sign_out_while_answering)
    await tab.run(state, "load")
    assert (state.status, state.reference, state.expires_display) == ("verifying", "", "")
    assert [p.user_id for p in rows(SubscriptionPeriod)] == [owner]  # the payment itself is applied all the same


async def test_signed_out_return_still_applies_and_links_back_to_the_full_url(app_db, khalti_api) -> None:
    owner = new_user("owner5")
    plan = add_plan()
    add_payment(owner, plan, "pidxAnon000000000000005")
    khalti_api.post("api/v2/epayment/lookup/").respond(
        200, json=lookup_body("pidxAnon000000000000005", "Completed", plan.price_paisa, "txn5")
    )
    tab = StateDriver()
    url = "/payment/return?pidx=pidxAnon000000000000005&status=Completed"
    state = tab.state(PaymentReturnState, url)
    await tab.run(state, "load")
    assert state.signed_out
    assert state.sign_in_href == "/login?next=%2Fpayment%2Freturn%3Fpidx%3DpidxAnon000000000000005%26status%3DCompleted"
    assert [p.user_id for p in rows(SubscriptionPeriod)] == [owner]


async def test_signed_out_callers_of_page_handlers_are_sent_to_sign_in_and_nothing_changes(app_db, khalti_api) -> None:
    anything = khalti_api.route()  # a catch-all: respx records no request that matches no route
    add_plan()
    tab = StateDriver()
    checkout = tab.state(CheckoutState, "/checkout/basic", route="/checkout/[plan]")
    await tab.run(checkout, "load")
    assert redirect_target(tab.events[-1]) == "/login?next=%2Fcheckout%2Fbasic"
    await tab.run(checkout, "pay")
    assert redirect_target(tab.events[-1]).startswith("/login")
    await tab.run(checkout, "start_payment")
    assert redirect_target(tab.events[-1]).startswith("/login")
    dashboard = tab.state(DashboardState, "/dashboard")
    await tab.run(dashboard, "load")
    assert redirect_target(tab.events[-1]) == "/login?next=%2Fdashboard"
    await tab.run(dashboard, "recheck_pending")
    assert dashboard.payments == [] and dashboard.status == "none"
    assert rows(Payment) == [] and rows(PaymentEvent) == []
    assert not anything.called


async def test_checkout_sends_the_tab_to_khalti_once_for_a_double_click(app_db, khalti_api) -> None:
    user = new_user("buyer6")
    plan = add_plan("standard", 129_950, 90)
    khalti_api.post("api/v2/epayment/initiate/").respond(
        200,
        json={
            "pidx": "pidxNew0000000000000006",
            "payment_url": "https://test-pay.khalti.com/?pidx=pidxNew0000000000000006",
            "expires_at": "2030-01-01T10:00:00+05:45",
            "expires_in": 3600,
        },
    )
    tab = StateDriver(user_id=user)
    state = tab.state(CheckoutState, "/checkout/standard", route="/checkout/[plan]")
    await tab.run(state, "load")
    assert (state.found, state.card.price, state.period_starts, state.renewing) == (True, "Rs 1,299.50", "now", False)
    await tab.run(state, "pay")
    assert navigation_target(tab.events[-1]) == "https://test-pay.khalti.com/?pidx=pidxNew0000000000000006"
    state.busy = True  # still navigating away: a second click lands while busy
    await tab.run(state, "pay")
    state.busy = False  # a click after the page came back: billing re-uses the fresh link
    await tab.run(state, "pay")
    payments = rows(Payment)
    assert len(payments) == 1 and payments[0].amount_paisa == plan.price_paisa
    assert khalti_api.routes[0].call_count == 1


@pytest.mark.parametrize(
    ("status_code", "body", "words"),
    [
        (401, {"detail": "Invalid token.", "status_code": 401}, "not available"),
        (503, "<html>down</html>", "not responding"),
        (400, {"amount": ["A valid integer is required."], "error_key": "validation_error"}, "could not accept"),
    ],
)
async def test_each_khalti_error_gives_a_specific_message_without_the_body(
    app_db, khalti_api, status_code, body, words
) -> None:
    user = new_user("buyer7")
    add_plan()
    route = khalti_api.post("api/v2/epayment/initiate/")
    route.respond(status_code, json=body) if isinstance(body, dict) else route.respond(status_code, text=body)
    tab = StateDriver(user_id=user)
    state = tab.state(CheckoutState, "/checkout/basic", route="/checkout/[plan]")
    await tab.run(state, "load")
    await tab.run(state, "pay")
    assert words in state.error_message
    assert "Invalid token" not in state.error_message and "html" not in state.error_message
    assert get_settings().khalti_secret_key not in state.error_message
    assert state.reference.startswith("KP-") and not state.busy
    assert [p.status for p in rows(Payment)] == ["failed"]


async def test_unknown_or_archived_plan_is_not_found(app_db) -> None:
    user = new_user("buyer8")
    plan = add_plan("old")
    with Session(get_engine()) as s:
        stored = s.get(Plan, plan.id)
        stored.is_active = False
        s.add(stored)
        s.commit()
    tab = StateDriver(user_id=user)
    for slug in ("old", "nope"):
        state = tab.state(CheckoutState, f"/checkout/{slug}", route="/checkout/[plan]")
        await tab.run(state, "load")
        assert state.found is False


async def test_catalog_lists_active_plans_in_order_and_marks_the_subscribers_plan(app_db) -> None:
    add_plan("premium", 499_900, 365)
    basic = add_plan("basic", 10_000_000, 30)
    with Session(get_engine()) as s:
        for p in s.exec(select(Plan)).all():
            p.sort_order = 1 if p.slug == "basic" else 2
            s.add(p)
        s.commit()
    user = new_user("reader9")
    with Session(get_engine()) as s:
        now = utcnow()
        s.add(SubscriptionPeriod(user_id=user, plan_id=basic.id, starts_at=now, ends_at=now + timedelta(days=3)))
        s.commit()
    tab = StateDriver(user_id=user)
    state = tab.state(CatalogState, "/")
    await tab.run(state, "load")
    assert [(c.slug, c.price) for c in state.cards] == [("basic", "Rs 1,00,000"), ("premium", "Rs 4,999")]
    assert state.my_plan_slug == "basic"


async def test_dashboard_rechecks_pending_payments_on_load(app_db, khalti_api) -> None:
    user = new_user("dash10")
    plan = add_plan()
    add_payment(user, plan, "pidxDash000000000000010")
    khalti_api.post("api/v2/epayment/lookup/").respond(
        200, json=lookup_body("pidxDash000000000000010", "Completed", plan.price_paisa, "txn10")
    )
    tab = StateDriver(user_id=user)
    state = tab.state(DashboardState, "/dashboard")
    await tab.run(state, "load")
    assert state.status == "active"
    [period] = rows(SubscriptionPeriod)
    assert state.expires_iso == iso_utc(period.ends_at)
    assert state.expires_display == format_moment(period.ends_at, Calendar.BOTH)
    assert state.renew_href == "/checkout/basic"
    assert [(p.status, p.transaction_id) for p in state.payments] == [("completed", "txn10")]
    assert not state.rechecking


class FakeTime:
    """Stands in for the return page's sleep and monotonic clock: sleeping moves the clock, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(payment_return, "RECHECK_FOR_SECONDS", 300.0)
    monkeypatch.setattr(payment_return.asyncio, "sleep", fake.sleep)
    monkeypatch.setattr(payment_return.time, "monotonic", fake.monotonic)
    return fake


async def test_pending_rechecks_at_2s_doubling_to_30s_until_it_completes(app_db, khalti_api, fake_time) -> None:
    owner = new_user("patient")
    plan = add_plan()
    add_payment(owner, plan, "pidxSlow000000000000011")
    answers = [lookup_body("pidxSlow000000000000011", "Pending", plan.price_paisa)] * 6 + [
        lookup_body("pidxSlow000000000000011", "Completed", plan.price_paisa, "txn11")
    ]
    khalti_api.post("api/v2/epayment/lookup/").mock(side_effect=[httpx.Response(200, json=a) for a in answers])
    tab = StateDriver(user_id=owner)
    state = tab.state(PaymentReturnState, "/payment/return?pidx=pidxSlow000000000000011")
    await tab.run(state, "load")
    assert fake_time.slept == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert state.status == "completed"
    assert len(rows(SubscriptionPeriod)) == 1


async def test_pending_stops_rechecking_after_five_minutes(app_db, khalti_api, fake_time) -> None:
    owner = new_user("stuck")
    plan = add_plan()
    add_payment(owner, plan, "pidxStuck00000000000012")
    route = khalti_api.post("api/v2/epayment/lookup/").respond(
        200, json=lookup_body("pidxStuck00000000000012", "Pending", plan.price_paisa)
    )
    tab = StateDriver(user_id=owner)
    state = tab.state(PaymentReturnState, "/payment/return?pidx=pidxStuck00000000000012")
    await tab.run(state, "load")
    assert state.status == "pending"
    assert sum(fake_time.slept) <= 300.0
    assert sum(fake_time.slept) + 30.0 > 300.0  # it kept going until the next wait would pass five minutes
    assert route.call_count == len(fake_time.slept) + 1


async def test_a_subscriber_who_chose_bs_reads_every_date_of_dashboard_and_checkout_in_bs(app_db) -> None:
    user = new_user("bs_reader")
    plan = add_plan()
    now = utcnow()
    end = now + timedelta(days=2)  # inside the 3-day reminder stage: the banner shows too
    with Session(get_engine(), expire_on_commit=False) as s:
        paid = Payment(
            purchase_order_id="KP-bs-reader",
            user_id=user,
            plan_id=plan.id,
            amount_paisa=plan.price_paisa,
            plan_name=plan.name,
            duration_days=plan.duration_days,
            status="completed",
            pidx="pidxBsReader00000000001",
            transaction_id="txnBs1",
        )
        s.add(paid)
        s.add(SubscriptionPeriod(user_id=user, plan_id=plan.id, starts_at=now - timedelta(days=28), ends_at=end))
        s.commit()
    assert reading_preferences.set_calendar(user, "bs") is None
    bs = Calendar.BS
    tab = StateDriver(user_id=user)
    dashboard = tab.state(DashboardState, "/dashboard")
    await tab.run(dashboard, "load")
    [period] = rows(SubscriptionPeriod)
    assert dashboard.expires_display == format_moment(period.ends_at, bs)
    assert dashboard.expires_iso == iso_utc(period.ends_at)  # attributes stay ISO UTC
    assert [p.date for p in dashboard.payments] == [format_moment(paid.created_at, bs)]
    assert f"on {format_moment(period.ends_at, bs)}." in dashboard.reminder_text
    timeline = dashboard.timeline
    assert [(s.starts, s.ends) for s in timeline.segments] == [
        (format_day(period.starts_at, bs), format_day(period.ends_at, bs))
    ]
    assert (timeline.first_day, timeline.last_day) == (format_day(period.starts_at, bs), format_day(period.ends_at, bs))
    assert timeline.segments[0].ends_iso == iso_utc(period.ends_at)

    checkout = tab.state(CheckoutState, "/checkout/basic", route="/checkout/[plan]")
    await tab.run(checkout, "load")
    renewal_ends = period.ends_at + timedelta(days=plan.duration_days)
    assert checkout.renewing
    assert (checkout.period_starts, checkout.period_ends) == (
        format_moment(period.ends_at, bs),
        format_moment(renewal_ends, bs),
    )

    with Session(get_engine()) as s:  # renewed: the paid period later shows in the "starting later" table
        s.add(SubscriptionPeriod(user_id=user, plan_id=plan.id, starts_at=end, ends_at=renewal_ends))
        s.commit()
    assert reading_preferences.set_calendar(user, "ad") is None  # and a switch of calendar shows on the next load
    await tab.run(dashboard, "load")
    ad = Calendar.AD
    assert [(p.starts, p.ends) for p in dashboard.upcoming] == [
        (format_moment(end, ad), format_moment(renewal_ends, ad))
    ]
    assert dashboard.expires_display == format_moment(renewal_ends, ad)
    assert dashboard.expires_display.endswith("NPT") and "(" not in dashboard.expires_display


def test_the_dashboard_reads_the_calendar_once_whatever_the_number_of_rows(app_db) -> None:
    user = new_user("many_rows")
    plan = add_plan()
    now = utcnow()
    for n in range(4):
        add_payment(user, plan, f"pidxRows{n:015d}", status="completed")
    with Session(get_engine()) as s:
        for n in range(4):
            starts = now + timedelta(days=30 * n - 1)
            s.add(
                SubscriptionPeriod(user_id=user, plan_id=plan.id, starts_at=starts, ends_at=starts + timedelta(days=30))
            )
        s.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        view = dashboard_view(user)
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert len(view.payments) == 4 and len(view.upcoming) == 3
    assert len([s for s in statements if "userprofile.calendar" in s.lower()]) == 1


def test_an_expiry_beyond_the_bs_years_shows_in_ad_rather_than_failing_the_page(app_db) -> None:
    # Periods stack: a subscriber can own access past 13 Apr 2043, the last day the portal converts to BS.
    user = new_user("far_future")
    plan = add_plan()
    now = utcnow()
    ends = datetime(2043, 6, 1, 6, 15, tzinfo=UTC)
    with Session(get_engine()) as s:
        s.add(SubscriptionPeriod(user_id=user, plan_id=plan.id, starts_at=now - timedelta(days=1), ends_at=ends))
        s.commit()
    assert reading_preferences.set_calendar(user, "bs") is None
    view = dashboard_view(user)
    assert view.expires_display == format_moment(ends, Calendar.AD) == "1 Jun 2043, 12:00 PM NPT"
