"""The admin payments page's state, called as a browser would: only admins see or change anything (re-checked
on every call, background handlers included), and each handler does what the page promises."""

from __future__ import annotations

import base64
import csv
import io
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import respx
from sqlmodel import Session, delete, select

from khalti_portal.billing.admin import payments as ap
from khalti_portal.billing.admin import reports
from khalti_portal.billing.nepal_time import to_nepal
from khalti_portal.billing.periods import grant_period
from khalti_portal.billing.report_periods import Grouping, span_of, spans
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import (
    LocalAuthSession,
    Payment,
    PaymentEvent,
    Plan,
    SubscriptionPeriod,
    UserProfile,
)
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.dates import Calendar, bs_date, format_day, format_moment
from khalti_portal.reading_preferences import set_calendar, site_calendar
from khalti_portal.states.admin_access import AdminAccessState
from khalti_portal.states.admin_base import AdminState
from khalti_portal.states.admin_payment_views import (
    DetailView,
    FiguresView,
    PaymentRowView,
    PeriodView,
    whole_rupees,
)
from khalti_portal.states.admin_payments import AdminPaymentsState
from tests.state_support import (
    StateDriver,
    demoted_admin,
    make_admin,
    new_user,
    own_handlers,
    plain_user,
    redirect_target,
    signed_out,
)

URL = "/admin/payments"
REASON = "customer asked"


def add_plan(slug: str = "basic", price: int = 49_900) -> Plan:
    with Session(get_engine(), expire_on_commit=False) as session:
        plan = Plan(slug=slug, name=slug.title(), price_paisa=price, duration_days=30)
        session.add(plan)
        session.commit()
        return plan


def add_payment(
    user_id: int, plan: Plan, status: str = "pending", *, minutes: int = 0, with_period: bool = False
) -> Payment:
    now = utcnow() + timedelta(minutes=minutes)
    token = secrets.token_hex(6)
    with Session(get_engine(), expire_on_commit=False) as session:
        payment = Payment(
            purchase_order_id=f"KP-{token}",
            user_id=user_id,
            plan_id=plan.id,
            amount_paisa=plan.price_paisa,
            plan_name=plan.name,
            duration_days=30,
            status=status,
            pidx=f"pidx{token}",
            created_at=now,
            updated_at=now,
            transaction_id=f"TXN{token}" if status in ("completed", "flagged") else None,
            completed_at=now if status == "completed" else None,
        )
        session.add(payment)
        session.flush()
        if with_period:
            grant_period(
                session,
                user_id=user_id,
                plan_id=plan.id,
                payment_id=payment.id,
                duration_days=30,
                now=now,
                mode=payment.khalti_mode,
            )
        session.commit()
        return payment


def snapshot() -> dict[str, Any]:
    """Everything an admin handler could change."""
    with Session(get_engine()) as session:

        def dump(model: Any) -> list[dict[str, Any]]:
            key = model.user_id if model is UserProfile else model.id
            return [row.model_dump() for row in session.exec(select(model).order_by(key)).all()]

        return {
            "plans": dump(Plan),
            "payments": dump(Payment),
            "periods": dump(SubscriptionPeriod),
            "events": dump(PaymentEvent),
            "profiles": dump(UserProfile),
        }


PUBLIC_VARS = (
    "loaded",
    "figures",
    "rows",
    "total",
    "page",
    "pages",
    "status_filter",
    "search_text",
    "search_key",
    "periods",
    "grouping",
    "periods_heading",
    "period_noun",
    "created_from_text",
    "created_to_text",
    "date_calendar",
    "date_hint",
    "dates_in_words",
    "detail",
    "detail_open",
    "busy",
    "notice",
    "error_message",
    "detail_notice",
    "detail_error",
    "dialog_error",
    "dialog_key",
)


ACCESS_VARS = ("manual_notice", "manual_error", "manual_key")


def public_vars(state: AdminPaymentsState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in PUBLIC_VARS}


def access_vars(state: AdminAccessState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in ACCESS_VARS}


async def admin_page(user_id: int) -> tuple[StateDriver, AdminPaymentsState]:
    tab = StateDriver(user_id=user_id)
    state = tab.state(AdminPaymentsState, URL)
    await tab.run(state, "load")
    return tab, state


@pytest.fixture
def khalti_api(app_db) -> Iterator[respx.MockRouter]:
    """Khalti (the configured base URL) mocked with respx; nothing answers unless a test says so."""
    with respx.mock(base_url=get_settings().khalti_base_url, assert_all_called=False) as router:
        router.post("api/v2/epayment/lookup/", name="lookup")
        router.post(url__regex=r"api/merchant-transaction/[^/]+/refund/$", name="refund")
        # Last, so it catches only what the two above do not: respx records no unmatched request at all.
        router.route(name="anything_else")
        yield router


def lookup_body(payment: Payment, status: str, amount: int | None = None) -> dict[str, Any]:
    return {
        "pidx": payment.pidx,
        "total_amount": payment.amount_paisa if amount is None else amount,
        "status": status,
        "transaction_id": payment.transaction_id or f"TXN{payment.pidx}",
        "fee": 0,
        "refunded": status == "Refunded",
    }


def var_value(event: Any, name: str) -> Any:
    for arg_name, value in getattr(event, "args", ()) or ():
        if getattr(arg_name, "_js_expr", arg_name) == name:
            return getattr(value, "_var_value", None)
    return None


# -- every handler refuses non-admins -------------------------------------------------------------------------

FORM = {"payment_id": "PAYMENT", "reason": REASON}
# Every public handler of the admin states, with arguments an attacker would send.
HANDLERS: dict[str, tuple[Any, ...]] = {
    "guard": (),
    "load": (),
    "refresh": (),
    "filter_status": ("completed",),
    "search": ({"q": "KP"},),
    "clear_search": (),
    "go_to_page": (2,),
    "download_csv": (),
    "download_monthly_csv": (),
    "group_by": ("fiscal_year",),
    "open_detail": ("PAYMENT",),
    "close_detail": (),
    "check_now": ("PAYMENT",),
    "refund": (FORM,),
    "resolve_refund": (FORM,),
    "resolve_grant": (FORM,),
    "manual_action": ({"action": "grant", "user": "VICTIM", "days": "30", "reason": REASON},),
}
OWN_STATE = {"manual_action": AdminAccessState}  # the others are AdminPaymentsState's (or AdminState's)


def test_the_refusal_tests_cover_every_handler_of_the_admin_payments_state():
    assert own_handlers(AdminState, AdminPaymentsState, AdminAccessState) == set(HANDLERS)


def _signed_out_elsewhere() -> int | None:
    user_id = make_admin()
    return user_id  # its sessions are deleted once the tab is open, below


@pytest.mark.parametrize(
    "who",
    [signed_out, plain_user, demoted_admin, _signed_out_elsewhere],
    ids=["signed-out", "user", "demoted", "session-ended"],
)
@pytest.mark.parametrize("handler", sorted(HANDLERS))
async def test_non_admins_are_refused_by_every_handler_and_nothing_changes(app_db, khalti_api, who, handler: str):
    plan = add_plan()
    victim_name = f"victim_{secrets.token_hex(3)}"
    victim = new_user(victim_name)
    flagged = add_payment(victim, plan, "flagged")
    completed = add_payment(victim, plan, "completed", with_period=True)
    user_id = who()
    tab = StateDriver(user_id=user_id)
    page = tab.state(AdminPaymentsState, URL)
    state = tab.state(OWN_STATE.get(handler, AdminPaymentsState), URL)
    if who is _signed_out_elsewhere:
        with Session(app_db) as session:
            session.exec(delete(LocalAuthSession).where(LocalAuthSession.user_id == user_id))
            session.commit()
    page.detail = DetailView(id=completed.id, pidx=completed.pidx)  # as if a payment were open
    form = tab.state(AdminAccessState, URL)
    form.manual_notice, form.manual_key = f"Granted {victim_name}'s access", 3  # as if access was given by hand
    target = flagged.id if handler.startswith("resolve") else completed.id

    def swap(value: Any) -> Any:
        if value == "PAYMENT":
            return target
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return victim_name if value == "VICTIM" else value

    args = tuple(swap(a) for a in HANDLERS[handler])
    db_before = snapshot()

    events = await tab.run(state, handler, *args)

    assert [redirect_target(e) for e in events] == ["/"]
    assert snapshot() == db_before
    assert public_vars(page) == public_vars(StateDriver().state(AdminPaymentsState, URL))  # emptied, not kept
    assert access_vars(form) == access_vars(StateDriver().state(AdminAccessState, URL))
    assert khalti_api.calls.call_count == 0  # Khalti never hears of it: not at a mocked path, nor elsewhere


async def test_admin_passes_the_guard(app_db):
    tab = StateDriver(user_id=make_admin())
    state = tab.state(AdminPaymentsState, URL)
    assert await tab.run(state, "guard") == []


async def test_the_role_is_read_again_on_every_call_background_handlers_included(app_db, khalti_api):
    admin = make_admin()
    plan = add_plan()
    payment = add_payment(new_user(), plan, "completed", with_period=True)
    tab, state = await admin_page(admin)
    await tab.run(state, "open_detail", payment.id)
    with Session(app_db) as session:
        session.get(UserProfile, admin).is_admin = False
        session.commit()
    before = snapshot()
    events = await tab.run(state, "refund", {"payment_id": str(payment.id), "reason": REASON})
    assert redirect_target(events[0]) == "/"
    assert snapshot() == before
    assert khalti_api.routes["refund"].call_count == 0


# -- what an admin sees ------------------------------------------------------------------------------------


async def test_admin_sees_figures_and_payments_newest_first(app_db):
    plan = add_plan(price=129_950)
    alice, bob = new_user("alice_np"), new_user("bob_np")
    old = add_payment(alice, plan, "completed", minutes=-10, with_period=True)
    new = add_payment(bob, plan, "pending", minutes=-1)
    add_payment(bob, plan, "flagged", minutes=-5)

    _tab, state = await admin_page(make_admin())

    assert state.loaded and state.total == 3 and (state.page, state.pages) == (1, 1)
    assert state.rows[0].id == new.id and state.rows[-1].id == old.id
    row = state.rows[-1]
    assert (row.username, row.amount, row.status, row.plan) == ("alice_np", "Rs 1,299.50", "completed", "Basic")
    assert row.created == format_moment(old.created_at, site_calendar())  # the admin chose no calendar
    f = state.figures
    assert (f.active, f.pending, f.flagged, f.expiring) == (1, 1, 1, 0)
    assert f.revenue == "Rs 1,299.50" and f.period == span_of(utcnow(), Grouping.BS_MONTH).title


async def test_filter_search_clear_and_pages(app_db):
    plan = add_plan()
    ram, sita = new_user("ram_k"), new_user("sita_k")
    for i in range(60):
        add_payment(ram, plan, "completed" if i % 2 else "pending", minutes=-i)
    sita_payment = add_payment(sita, plan, "pending", minutes=-100)
    tab, state = await admin_page(make_admin())
    assert (state.total, state.pages, len(state.rows)) == (61, 2, 50)

    await tab.run(state, "go_to_page", 2)
    assert (state.page, len(state.rows)) == (2, 11)
    await tab.run(state, "go_to_page", "junk")
    assert state.page == 1

    await tab.run(state, "filter_status", "pending")
    assert state.status_filter == "pending" and state.total == 31
    assert {r.status for r in state.rows} == {"pending"}

    await tab.run(state, "search", {"q": "  SITA "})
    assert state.search_text == "SITA" and [r.id for r in state.rows] == [sita_payment.id]

    await tab.run(state, "filter_status", "not-a-status")
    assert state.error_message == "Pick a status from the list." and state.status_filter == "pending"

    await tab.run(state, "search", {"q": "x" * 65})
    assert "at most 64" in state.error_message and state.search_text == "SITA"

    key = state.search_key
    await tab.run(state, "clear_search")
    assert state.search_text == "" and state.search_key == key + 1 and state.total == 31

    await tab.run(state, "filter_status", "all")
    assert state.status_filter == "all" and state.total == 61


async def test_the_csv_download_is_the_current_filter_built_on_the_server(app_db):
    plan = add_plan()
    ram, sita = new_user("ram_csv"), new_user("sita_csv")
    mine = [add_payment(ram, plan, "completed", minutes=-i) for i in range(3)]
    add_payment(sita, plan, "completed")
    add_payment(ram, plan, "pending")
    tab, state = await admin_page(make_admin())
    await tab.run(state, "filter_status", "completed")
    await tab.run(state, "search", {"q": "ram_csv"})

    [download] = await tab.run(state, "download_csv")

    url = var_value(download, "url")
    assert url.startswith("data:text/csv;base64,")
    text = base64.b64decode(url.split(",", 1)[1]).decode()
    assert text == ap.export_csv(ap.make_filter("completed", "ram_csv")).text
    rows = list(csv.reader(io.StringIO(text)))
    orders = rows[0].index("purchase_order_id")
    assert [r[orders] for r in rows[1:]] == [p.purchase_order_id for p in mine]
    assert unquote(var_value(download, "filename")).startswith("payments-completed-search-")


async def test_admin_sees_the_last_twelve_months_and_downloads_them_as_csv(app_db):
    plan = add_plan(price=129_950)
    add_payment(new_user("mina_month"), plan, "completed", with_period=True)
    admin = make_admin()
    tab, state = await admin_page(admin)

    # The admin chose no calendar: the site's `both` reads BS, so the figures come by BS month.
    assert site_calendar() is Calendar.BOTH
    assert state.grouping == "bs_month" and state.periods_heading == "The last 12 months (BS)"
    assert len(state.periods) == 12
    running = span_of(utcnow(), Grouping.BS_MONTH)
    this_month = state.periods[-1]
    assert (this_month.key, this_month.label) == (running.key, running.label)
    assert this_month.first_day == format_day(running.start, Calendar.BOTH)
    assert this_month.last_day == format_day(running.end - timedelta(seconds=1), Calendar.BOTH)
    assert state.period_noun == "BS month"
    assert (this_month.revenue, this_month.revenue_rupees, this_month.active) == ("Rs 1,299.50", 1300, 1)
    assert this_month.revenue == state.figures.revenue and this_month.active == state.figures.active
    assert state.figures.period == running.title
    assert all(m.revenue == "Rs 0" and m.active == 0 for m in state.periods[:-1])

    [download] = await tab.run(state, "download_monthly_csv")
    text = base64.b64decode(var_value(download, "url").split(",", 1)[1]).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(reports.PERIOD_CSV_COLUMNS) and len(rows) == 13
    last_day = running.end - timedelta(seconds=1)
    assert rows[-1] == [
        running.label,
        running.first_day.isoformat(),
        running.last_day.isoformat(),
        format_day(running.start, Calendar.BS),
        format_day(last_day, Calendar.BS),
        running.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        running.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "129950",
        "0",
        "129950",
        "1299.50",
        "1",
    ]
    today = to_nepal(utcnow()).date().isoformat()
    assert unquote(var_value(download, "filename")) == f"figures-by-bs-month-{today}.csv"


async def test_the_admin_groups_the_figures_by_ad_month_or_fiscal_year_and_nothing_else(app_db):
    plan = add_plan(price=129_950)
    add_payment(new_user("fy_payer"), plan, "completed", with_period=True)
    admin = make_admin()
    assert set_calendar(admin, "ad") is None
    tab, state = await admin_page(admin)
    now = utcnow()
    assert state.grouping == "ad_month"  # an admin who reads AD gets AD months first
    assert [p.label for p in state.periods] == [s.label for s in spans(now, Grouping.AD_MONTH)]
    last_day = spans(now, Grouping.AD_MONTH)[-1].end - timedelta(seconds=1)
    assert state.periods[-1].last_day == format_day(last_day, Calendar.AD)

    await tab.run(state, "group_by", "fiscal_year")
    years = spans(now, Grouping.FISCAL_YEAR)
    assert state.grouping == "fiscal_year" and state.periods_heading == "The last 5 fiscal years"
    assert state.period_noun == "fiscal year"
    assert [p.label for p in state.periods] == [y.label for y in years] and len(years) == 5
    assert state.periods[-1].revenue == "Rs 1,299.50" and state.figures.period == years[-1].title
    [download] = await tab.run(state, "download_monthly_csv")
    assert unquote(var_value(download, "filename")).startswith("figures-by-fiscal-year-")

    before = public_vars(state)
    for forged in ("weekly", "", None, 3, ["bs_month"], "BS_MONTH"):
        await tab.run(state, "group_by", forged)
        assert state.error_message == "Group the figures by AD month, BS month or fiscal year."
        assert {k: v for k, v in public_vars(state).items() if k != "error_message"} == {
            k: v for k, v in before.items() if k != "error_message"
        }

    await tab.run(state, "group_by", "bs_month")
    assert state.grouping == "bs_month" and state.error_message == ""
    await tab.run(state, "refresh")  # the choice stays for the tab
    assert state.grouping == "bs_month" and state.periods[-1].label == span_of(now, Grouping.BS_MONTH).label


async def test_dates_on_the_page_follow_the_admins_calendar(app_db):
    plan = add_plan()
    payment = add_payment(new_user("dated"), plan, "completed", with_period=True)
    admin = make_admin()
    for calendar in (Calendar.BS, Calendar.AD, Calendar.BOTH):
        assert set_calendar(admin, calendar.value) is None
        tab, state = await admin_page(admin)
        await tab.run(state, "open_detail", payment.id)
        [row] = state.rows
        assert row.created == format_moment(payment.created_at, calendar)
        assert state.detail.created == format_moment(payment.created_at, calendar)
        assert state.detail.completed == format_moment(payment.completed_at, calendar)
        with Session(app_db) as session:
            period = session.exec(select(SubscriptionPeriod).where(SubscriptionPeriod.payment_id == payment.id)).one()
        assert state.detail.period == (
            f"{format_moment(period.starts_at, calendar)} → {format_moment(period.ends_at, calendar)}"
        )


async def test_the_payment_dates_are_typed_in_the_admins_calendar(app_db):
    plan = add_plan()
    today = to_nepal(utcnow()).date()
    bs_today = format_day(utcnow(), Calendar.BS)  # e.g. "12 Mangsir 2083"
    paid = add_payment(new_user("typed_dates"), plan, "completed")
    older = add_payment(new_user("typed_dates_old"), plan, "completed", minutes=-3 * 24 * 60)
    admin = make_admin()
    assert set_calendar(admin, "bs") is None
    tab, state = await admin_page(admin)
    assert state.date_calendar == "BS" and state.date_hint.startswith("YYYY-MM-DD in Bikram Sambat (BS)")

    bs = bs_date(utcnow())
    typed = f"{bs.year}-{bs.month:02d}-{bs.day:02d}"
    await tab.run(state, "search", {"q": "typed_dates", "created_from": typed, "created_to": typed})
    assert state.error_message == "" and [r.purchase_order_id for r in state.rows] == [paid.purchase_order_id]
    assert state.dates_in_words == f"Created {bs_today} to {bs_today}"
    assert state.created_from_text == typed
    # The status filter keeps the dates.
    await tab.run(state, "filter_status", "completed")
    assert [r.purchase_order_id for r in state.rows] == [paid.purchase_order_id]
    [download] = await tab.run(state, "download_csv")
    assert unquote(var_value(download, "filename")) == f"payments-completed-search-dates-{today.isoformat()}.csv"

    shown = [r.purchase_order_id for r in state.rows]
    impossible = f"{bs.year}-{bs.month:02d}-33"
    await tab.run(state, "search", {"q": "typed_dates", "created_from": impossible, "created_to": ""})
    assert state.error_message.startswith(f"From: There is no {impossible} BS: ")
    assert [r.purchase_order_id for r in state.rows] == shown and state.created_from_text == typed  # nothing changed

    await tab.run(state, "clear_search")
    assert state.dates_in_words == "" and state.created_from_text == ""
    assert {r.purchase_order_id for r in state.rows} >= {paid.purchase_order_id, older.purchase_order_id}

    assert set_calendar(admin, "both") is None
    await tab.run(state, "refresh")
    assert state.date_calendar == "AD"  # a reader of both types AD unless the date says BS
    await tab.run(state, "search", {"q": "typed_dates", "created_from": today.isoformat(), "created_to": ""})
    assert [r.purchase_order_id for r in state.rows] == [paid.purchase_order_id]
    assert state.dates_in_words == f"Created on or after {format_day(utcnow(), Calendar.BOTH)}"


def test_a_bar_is_whole_rupees_rounded_half_away_from_zero():
    assert [whole_rupees(p) for p in (129_950, 129_949, -129_950, 0)] == [1300, 1299, -1300, 0]


async def test_detail_opens_with_the_audit_trail_and_closes(app_db):
    plan = add_plan()
    payment = add_payment(new_user("detail_user"), plan, "completed", with_period=True)
    with Session(app_db) as session:
        session.add(
            PaymentEvent(
                payment_id=payment.id,
                source="return",
                kind="lookup",
                detail="Completed",
                khalti_response={"status": "Completed"},
            )
        )
        session.commit()
    tab, state = await admin_page(make_admin())

    events = await tab.run(state, "open_detail", payment.id)

    assert events and redirect_target(events[0]) is None  # a scroll, not a redirect
    d = state.detail
    assert state.detail_open and (d.id, d.username, d.status) == (payment.id, "detail_user", "completed")
    assert d.refundable and d.checkable and not d.flagged and d.period.endswith("NPT")
    assert [e.kind for e in d.events] == ["lookup"] and '"status": "Completed"' in d.events[0].khalti_json

    await tab.run(state, "close_detail")
    assert not state.detail_open and state.detail == DetailView()


async def test_the_detail_says_how_many_lookups_repeated_the_answer_and_are_not_in_the_trail(app_db):
    plan = add_plan()
    payment = add_payment(new_user("repeats_user"), plan, "pending")
    with Session(get_engine()) as session:
        row = session.get(Payment, payment.id)
        row.check_count, row.repeat_lookups = 12, 9
        session.commit()
    tab, state = await admin_page(make_admin())
    await tab.run(state, "open_detail", payment.id)
    assert state.detail.checks == "12 (9 repeated the answer before them and are not listed in the audit trail)"

    other = add_payment(new_user("plain_user"), plan, "pending")
    await tab.run(state, "open_detail", other.id)
    assert state.detail.checks == "0"

    await tab.run(state, "open_detail", 987_654)
    assert "does not exist" in state.error_message and not state.detail_open


# -- Khalti: Check now and refunds ---------------------------------------------------------------------------


async def test_check_now_looks_the_payment_up_and_applies_what_khalti_says(app_db, khalti_api):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "pending")
    khalti_api.routes["lookup"].respond(200, json=lookup_body(payment, "Completed"))
    tab, state = await admin_page(make_admin())
    await tab.run(state, "open_detail", payment.id)

    await tab.run(state, "check_now", payment.id)

    assert state.detail_notice == "Khalti says 'Completed': the payment is now completed."
    assert state.detail.status == "completed" and not state.busy
    assert state.figures.pending == 0 and state.figures.active == 1
    [transition] = [e for e in state.detail.events if e.kind == "transition"]
    assert transition.source == "admin"
    assert khalti_api.routes["lookup"].call_count == 1


async def test_check_now_on_a_settled_payment_does_not_ask_khalti(app_db, khalti_api):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "canceled")
    tab, state = await admin_page(make_admin())
    await tab.run(state, "check_now", payment.id)
    assert "final" in state.detail_notice and state.detail_open
    assert khalti_api.routes["lookup"].call_count == 0


async def test_refund_from_the_page_refunds_and_revokes(app_db, khalti_api):
    admin = make_admin()
    plan = add_plan()
    payment = add_payment(new_user(), plan, "completed", with_period=True)
    khalti_api.routes["refund"].respond(200, json={"detail": "Transaction refund successful."})
    khalti_api.routes["lookup"].respond(200, json=lookup_body(payment, "Refunded"))
    tab, state = await admin_page(admin)
    await tab.run(state, "open_detail", payment.id)
    key = state.dialog_key

    await tab.run(state, "refund", {"payment_id": str(payment.id), "reason": REASON})

    assert state.detail_error == "" and state.detail_notice.startswith("Refunded Rs 499")
    assert state.detail.status == "refunded" and not state.detail.refundable
    assert state.dialog_key == key + 1 and not state.busy
    assert "revoked" in state.detail.period
    with Session(app_db) as session:
        refunds = session.exec(select(PaymentEvent).where(PaymentEvent.kind == "refund")).all()
    assert [(e.actor_user_id, e.source) for e in refunds] == [(admin, "admin")] * 2


async def test_a_refund_without_a_reason_keeps_the_dialog_open_and_asks_nothing_of_khalti(app_db, khalti_api):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "completed", with_period=True)
    tab, state = await admin_page(make_admin())
    await tab.run(state, "open_detail", payment.id)
    before, key = snapshot(), state.dialog_key

    await tab.run(state, "refund", {"payment_id": str(payment.id), "reason": "  "})

    assert "Give a reason" in state.dialog_error and state.dialog_key == key
    assert snapshot() == before and khalti_api.routes["refund"].call_count == 0


async def test_a_refused_refund_shows_why_and_changes_nothing(app_db, khalti_api):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "completed", with_period=True)
    khalti_api.routes["refund"].respond(
        400, json={"detail": "Transaction cannot be refunded: its status is Refunded.", "error_key": "validation_error"}
    )
    tab, state = await admin_page(make_admin())
    await tab.run(state, "open_detail", payment.id)
    with Session(app_db) as session:
        before = session.get(Payment, payment.id).model_dump()

    await tab.run(state, "refund", {"payment_id": str(payment.id), "reason": REASON})

    assert "its status is Refunded" in state.detail_error and state.detail_notice == ""
    assert state.detail.status == "completed"
    with Session(app_db) as session:
        assert session.get(Payment, payment.id).model_dump() == before


@pytest.mark.parametrize("bad", ["", "abc", "-1", "0", "1.5", "99999999999"])
async def test_refund_ids_are_checked_on_the_server(app_db, khalti_api, bad):
    tab, state = await admin_page(make_admin())
    before = snapshot()
    await tab.run(state, "refund", {"payment_id": bad, "reason": REASON})
    assert "does not exist" in state.dialog_error
    assert snapshot() == before and khalti_api.routes["refund"].call_count == 0


async def test_no_amount_ever_comes_from_the_browser(app_db, khalti_api):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "completed", with_period=True)
    khalti_api.routes["refund"].respond(200, json={"detail": "Transaction refund successful."})
    khalti_api.routes["lookup"].respond(200, json=lookup_body(payment, "Refunded"))
    tab, state = await admin_page(make_admin())
    await tab.run(state, "refund", {"payment_id": str(payment.id), "reason": REASON, "amount": "1"})
    assert khalti_api.routes["refund"].calls.last.request.content == b"{}"  # a full refund, whatever was sent


# -- flagged decisions ---------------------------------------------------------------------------------------


async def test_accepting_a_flagged_payment_from_the_page(app_db):
    admin = make_admin()
    plan = add_plan()
    payment = add_payment(new_user(), plan, "flagged")
    tab, state = await admin_page(admin)
    await tab.run(state, "open_detail", payment.id)
    assert state.detail.flagged and not state.detail.refundable

    await tab.run(state, "resolve_grant", {"payment_id": str(payment.id), "reason": "paid in full, confirmed"})

    assert state.detail_notice.startswith("Accepted order") and state.detail.status == "completed"
    assert state.figures.flagged == 0 and state.figures.active == 1
    with Session(app_db) as session:
        [period] = session.exec(select(SubscriptionPeriod)).all()
        assert (period.payment_id, period.granted_by) == (payment.id, admin)

    await tab.run(state, "resolve_grant", {"payment_id": str(payment.id), "reason": "again"})
    assert "not flagged" in state.detail_error


async def test_refunding_a_flagged_payment_from_the_page(app_db, khalti_api):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "flagged")
    khalti_api.routes["refund"].respond(200, json={"detail": "Transaction refund successful."})
    khalti_api.routes["lookup"].respond(200, json=lookup_body(payment, "Refunded", amount=100))
    tab, state = await admin_page(make_admin())

    await tab.run(state, "resolve_refund", {"payment_id": str(payment.id), "reason": "wrong amount paid"})

    assert state.detail.status == "refunded" and state.detail_notice.startswith("Refunded")
    assert state.figures.flagged == 0


async def test_a_decision_without_a_reason_is_refused(app_db):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "flagged")
    tab, state = await admin_page(make_admin())
    before = snapshot()
    await tab.run(state, "resolve_grant", {"payment_id": str(payment.id)})
    assert "Give a reason" in state.dialog_error
    assert snapshot() == before


# -- access by hand ---------------------------------------------------------------------------------------------


async def test_grant_extend_and_revoke_by_hand(app_db):
    admin = make_admin()
    user = new_user("manual_target")
    tab, state = await admin_page(admin)
    form = tab.state(AdminAccessState, URL)

    await tab.run(
        form, "manual_action", {"action": "grant", "user": "manual_target", "days": "10", "reason": "partner"}
    )
    assert form.manual_notice.startswith("Granted manual_target's access by 10 days")
    assert state.figures.active == 1
    key = form.manual_key

    await tab.run(form, "manual_action", {"action": "extend", "user": f"#{user}", "days": "5", "reason": "outage"})
    assert form.manual_notice.startswith("Extended manual_target's access by 5 days")
    assert form.manual_key == key + 1

    await tab.run(form, "manual_action", {"action": "revoke", "user": "manual_target", "reason": "abuse"})
    assert form.manual_notice.startswith("Revoked manual_target's access (2 periods)")
    assert state.figures.active == 0
    with Session(app_db) as session:
        events = session.exec(select(PaymentEvent).order_by(PaymentEvent.id)).all()
    assert [(e.kind, e.actor_user_id, e.user_id) for e in events] == [
        ("grant", admin, user),
        ("extend", admin, user),
        ("revoke", admin, user),
    ]


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"action": "delete", "user": "someone", "days": "1", "reason": "x"}, "Choose grant, extend or revoke"),
        ({"action": "grant", "user": "nobody_here", "days": "1", "reason": "x"}, "no user named"),
        ({"action": "grant", "user": "someone", "days": "0", "reason": "x"}, "1 to 3650"),
        ({"action": "extend", "user": "someone", "days": "5", "reason": ""}, "Give a reason"),
        ({"action": "revoke", "user": "someone", "reason": "x"}, "no access to revoke"),
        ({}, "Choose grant"),
        ({"action": ["grant"], "user": 5, "days": 5, "reason": "x"}, "Choose grant"),
    ],
)
async def test_manual_actions_are_checked_on_the_server(app_db, form, words):
    new_user("someone")
    tab, _page = await admin_page(make_admin())
    state = tab.state(AdminAccessState, URL)
    before = snapshot()
    await tab.run(state, "manual_action", form)
    assert words in state.manual_error and state.manual_notice == ""
    assert snapshot() == before


# -- nothing but display objects reach the browser ------------------------------------------------------------


async def test_no_table_row_reaches_the_browser(app_db):
    plan = add_plan()
    payment = add_payment(new_user(), plan, "completed", with_period=True)
    tab, state = await admin_page(make_admin())
    await tab.run(state, "open_detail", payment.id)
    allowed = (PaymentRowView, DetailView, FiguresView, PeriodView, str, int, bool)
    shown = {**public_vars(state), **access_vars(tab.state(AdminAccessState, URL))}
    for value in shown.values():
        for item in value if isinstance(value, list) else [value]:
            assert isinstance(item, allowed), type(item)
    assert get_settings().khalti_secret_key not in repr(shown)


# -- the page builds ------------------------------------------------------------------------------------------


def test_the_page_and_the_admin_nav_build():
    from khalti_portal.components.admin_nav import admin_nav
    from khalti_portal.pages import admin_payments as page

    rendered = str(page.admin_payments().render())
    for element_id in (
        "admin-figures",
        "figure-revenue",
        "payment-status-filter",
        "payments-csv",
        "manual-access",
        "monthly-figures",
        "revenue-chart",
        "subscribers-chart",
        "revenue-table",
        "download-monthly-csv",
        "figures-grouping",
        "payment-created-from",
        "payment-created-to",
        "payment-dates-hint",
        "admin-nav-payments",
        "admin-nav-plans",
    ):
        assert element_id in rendered, element_id
    assert "admin-nav-payments" in str(admin_nav("/admin/plans").render())
