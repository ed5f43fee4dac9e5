"""Receipts on the pages: `/receipts/[number]` for the owner or an admin only, its PDF, the links to it from the
dashboard history and the admin payment detail, and the PAN a business may put on its profile.

Invoices are issued the way a completing payment issues them: `billing.invoices.issue` in the payment's transaction.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import secrets
from typing import Any

import pypdf
import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from khalti_portal import accounts, reading_preferences
from khalti_portal.billing import subscription
from khalti_portal.billing.admin.payments import payment_detail
from khalti_portal.billing.fiscal import format_bs
from khalti_portal.billing.invoices import CREDIT_NOTE, INVOICE, issue
from khalti_portal.billing.nepal_time import format_nepal, format_nepal_day
from khalti_portal.billing.periods import grant_period
from khalti_portal.clock import utcnow
from khalti_portal.config import MerchantSettings, get_settings
from khalti_portal.db.models import Invoice, Payment, Plan, SubscriptionPeriod
from khalti_portal.db.session import get_engine
from khalti_portal.documents.pdf import receipt_pdf
from khalti_portal.documents.receipt import SLUG_RE, TEST_MARKER, find_for, receipt_view
from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.dates import Calendar, format_moment
from khalti_portal.i18n.numbers import format_rupees
from khalti_portal.states.admin_payment_views import DetailView
from khalti_portal.states.dashboard import DashboardState
from khalti_portal.states.language import LanguageState
from khalti_portal.states.profile import ProfileState
from khalti_portal.states.receipt import ReceiptState
from tests.state_support import StateDriver, add_plan, make_admin, new_user, redirect_target
from tests.test_pdf_fonts import devanagari_only, embedded_fonts

ROUTE = "/receipts/[number]"
VAT_MERCHANT = MerchantSettings(
    name="Acme Subscriptions Pvt Ltd", address="Thamel, Kathmandu", pan="301234567", vat_registered=True
)
PLAIN_MERCHANT = MerchantSettings(name="Sita's Classes", address="Pokhara")

# -- helpers -------------------------------------------------------------------------------------------------------


def paid(
    user_id: int,
    plan: Plan,
    *,
    merchant: MerchantSettings = PLAIN_MERCHANT,
    mode: str | None = None,
    refunded: bool = False,
) -> tuple[Payment, Invoice, Invoice | None]:
    """A completed payment with its period and invoice (and, when `refunded`, the credit note reversing it)."""
    settings = dataclasses.replace(get_settings(), merchant=merchant)
    now = utcnow()
    token = secrets.token_hex(6)
    with Session(get_engine(), expire_on_commit=False) as session:
        payment = Payment(
            purchase_order_id=f"KP-{token}",
            user_id=user_id,
            plan_id=plan.id,
            amount_paisa=plan.price_paisa,
            plan_name=plan.name,
            duration_days=plan.duration_days,
            status="refunded" if refunded else "completed",
            pidx=f"pidx{token}",
            transaction_id=f"TXN{token}",
            completed_at=now,
            **({"khalti_mode": mode} if mode else {}),
        )
        session.add(payment)
        session.flush()
        grant_period(
            session,
            user_id=user_id,
            plan_id=plan.id,
            payment_id=payment.id,
            duration_days=plan.duration_days,
            now=now,
            mode=payment.khalti_mode,
        )
        invoice = issue(session, settings, payment.id, kind=INVOICE, now=now)
        credit = issue(session, settings, payment.id, kind=CREDIT_NOTE, now=now) if refunded else None
        session.commit()
    assert invoice is not None
    return payment, invoice, credit


def pending(user_id: int, plan: Plan) -> Payment:
    """A payment still waiting for Khalti: no invoice."""
    with Session(get_engine(), expire_on_commit=False) as session:
        payment = Payment(
            purchase_order_id=f"KP-{secrets.token_hex(6)}",
            user_id=user_id,
            plan_id=plan.id,
            amount_paisa=plan.price_paisa,
            plan_name=plan.name,
            duration_days=plan.duration_days,
            status="pending",
            pidx=f"pidx{secrets.token_hex(6)}",
        )
        session.add(payment)
        session.commit()
        return payment


async def receipt_page(user_id: int | None, slug: str) -> tuple[StateDriver, ReceiptState]:
    """`/receipts/<slug>` loaded in a tab signed in as `user_id` (or nobody)."""
    tab = StateDriver(user_id=user_id)
    state = tab.state(ReceiptState, f"/receipts/{slug}", route=ROUTE)
    await tab.run(state, "load")
    return tab, state


def var_value(event_: Any, name: str) -> Any:
    """An argument of a server-side event such as `rx.download`, as the browser would receive it."""
    for arg_name, value in getattr(event_, "args", ()) or ():
        if getattr(arg_name, "_js_expr", arg_name) == name:
            return getattr(value, "_var_value", None)
    return None


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def period_of(payment: Payment) -> SubscriptionPeriod:
    with Session(get_engine()) as session:
        return session.exec(select(SubscriptionPeriod).where(SubscriptionPeriod.payment_id == payment.id)).one()


def reader(calendar: Calendar, name: str | None = None) -> int:
    """A user who chose `calendar` on the profile."""
    user_id = new_user(name or "")
    assert reading_preferences.set_calendar(user_id, calendar.value) is None
    return user_id


# -- the document --------------------------------------------------------------------------------------------------


def test_a_vat_invoice_is_a_tax_invoice_with_its_vat_split_and_the_test_marker(app_db) -> None:
    buyer = new_user("vat_buyer")
    accounts.save_profile(buyer, accounts.Profile(display_name="Everest Traders", pan="600123456"))
    payment, invoice, _ = paid(buyer, add_plan(price=49_900), merchant=VAT_MERCHANT)

    view = receipt_view(invoice, Calendar.BOTH)

    assert view.title == "Tax Invoice" and view.number.startswith("TEST-") and view.test_marker == TEST_MARKER
    # Prices include VAT: 499 / 1.13 = 441.59 taxable, the rest VAT, adding up to what Khalti took.
    assert (view.taxable_paisa, view.vat_paisa, view.total_paisa) == (44_159, 5_741, 49_900)
    assert (view.taxable_text, view.vat_label, view.vat_text, view.total_text) == (
        "Rs 441.59",
        "VAT 13%",
        "Rs 57.41",
        "Rs 499",
    )
    assert (view.merchant_name, view.merchant_pan) == ("Acme Subscriptions Pvt Ltd", "301234567")
    assert (view.buyer_name, view.buyer_pan) == ("Everest Traders", "600123456")
    assert view.total_words.startswith("Rupees Four Hundred")
    assert (view.issued_bs, view.issued_ad) == (format_bs(invoice.issued_at), format_nepal_day(invoice.issued_at))
    period = period_of(payment)
    assert view.period_from == format_moment(period.starts_at, Calendar.BOTH)
    assert view.period_to == format_moment(period.ends_at, Calendar.BOTH)
    assert view.transaction_id.startswith("TXN") and view.order.startswith("KP-") and view.duration == "30 days"


def test_without_vat_it_is_a_plain_invoice_with_no_vat(app_db) -> None:
    _, invoice, _ = paid(new_user(), add_plan(price=120_050))
    view = receipt_view(invoice, Calendar.BOTH)
    assert view.title == "Invoice" and view.vat_paisa == 0 and view.taxable_paisa == view.total_paisa == 120_050
    assert view.total_text == "Rs 1,200.50" and view.merchant_pan == "" and view.buyer_pan == ""


def test_a_live_invoice_has_the_legal_number_and_no_test_marker(app_db) -> None:
    _, invoice, _ = paid(new_user(), add_plan(), mode="live")
    view = receipt_view(invoice, Calendar.BOTH)
    assert not view.number.startswith("TEST-") and view.test_marker == ""
    assert SLUG_RE.fullmatch(view.slug) and view.slug == view.number.replace("/", "-")


def test_a_credit_note_names_the_invoice_it_reverses(app_db) -> None:
    _, invoice, credit = paid(new_user(), add_plan(), merchant=VAT_MERCHANT, refunded=True)
    assert credit is not None
    view = receipt_view(credit, Calendar.BOTH)
    assert view.title == "Credit Note" and view.is_credit_note and view.reverses_number == invoice.number
    assert view.number.startswith("TEST-CN-") and view.total_paisa == invoice.total_paisa
    assert view.vat_paisa == invoice.vat_paisa


def test_the_pdf_is_a4_and_carries_the_number_and_the_total(app_db) -> None:
    _, invoice, _ = paid(new_user(), add_plan(price=49_900), merchant=VAT_MERCHANT)
    data = receipt_pdf(receipt_view(invoice, Calendar.BOTH))
    assert data.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = pdf_text(data)
    assert invoice.number in text and "Rs 499" in text and "Tax Invoice" in text and "TEST" in text


# -- the calendar it is read in -------------------------------------------------------------------------------------


def test_the_period_is_in_the_readers_calendar_and_the_date_of_issue_in_both(app_db) -> None:
    payment, invoice, _ = paid(new_user(), add_plan(), merchant=VAT_MERCHANT)
    period = period_of(payment)
    for calendar in Calendar:
        view = receipt_view(invoice, calendar)
        assert (view.period_from, view.period_to) == (
            format_moment(period.starts_at, calendar),
            format_moment(period.ends_at, calendar),
        )
        # The tax invoice's own date reads the same to everyone, in BS and in AD.
        assert (view.issued_bs, view.issued_ad) == (format_bs(invoice.issued_at), format_nepal_day(invoice.issued_at))
    assert receipt_view(invoice, Calendar.BS).period_to != receipt_view(invoice, Calendar.AD).period_to


def test_a_document_issued_before_the_period_instants_were_stored_keeps_its_words(app_db) -> None:
    payment, invoice, _ = paid(new_user(), add_plan())
    period = period_of(payment)
    older = invoice.model_copy(
        update={"details": {k: v for k, v in invoice.details.items() if k not in ("period_from_utc", "period_to_utc")}}
    )
    view = receipt_view(older, Calendar.BS)
    assert (view.period_from, view.period_to) == (format_nepal(period.starts_at), format_nepal(period.ends_at))
    garbled = invoice.model_copy(update={"details": {**invoice.details, "period_to_utc": "not a time"}})
    assert receipt_view(garbled, Calendar.BS).period_to == format_nepal(period.ends_at)


def test_a_period_ending_beyond_the_bs_years_is_written_in_ad(app_db) -> None:
    _, invoice, _ = paid(new_user(), add_plan())
    far = invoice.model_copy(update={"details": {**invoice.details, "period_to_utc": "2050-01-01T06:15:00Z"}})
    view = receipt_view(far, Calendar.BS)
    assert view.period_to == "1 Jan 2050, 12:00 PM NPT"  # 06:15 UTC is noon in Nepal


async def test_a_bs_reader_sees_the_period_in_bs_on_the_page_and_in_the_pdf_and_an_ad_admin_in_ad(app_db) -> None:
    owner = reader(Calendar.BS, "bs_owner")
    payment, invoice, _ = paid(owner, add_plan(), merchant=VAT_MERCHANT)
    period = period_of(payment)
    tab, state = await receipt_page(owner, invoice.slug)
    assert state.found
    bs_from, bs_to = format_moment(period.starts_at, Calendar.BS), format_moment(period.ends_at, Calendar.BS)
    assert (state.receipt.period_from, state.receipt.period_to) == (bs_from, bs_to)
    assert (state.receipt.issued_bs, state.receipt.issued_ad) == (
        format_bs(invoice.issued_at),
        format_nepal_day(invoice.issued_at),
    )
    [download] = await tab.run(state, "download_pdf")
    data = base64.b64decode(var_value(download, "url").split(",", 1)[1])
    flat = " ".join(pdf_text(data).split())
    assert f"Period from {bs_from}" in flat and f"Period to {bs_to}" in flat

    admin = make_admin()
    assert reading_preferences.set_calendar(admin, "ad") is None
    _, seen_by_admin = await receipt_page(admin, invoice.slug)
    assert (seen_by_admin.receipt.period_from, seen_by_admin.receipt.period_to) == (
        format_moment(period.starts_at, Calendar.AD),
        format_moment(period.ends_at, Calendar.AD),
    )
    # Reading it in two calendars changed nothing that was issued.
    with Session(get_engine()) as session:
        assert session.get(Invoice, invoice.id).details == invoice.details


# -- who may open it -----------------------------------------------------------------------------------------------


async def test_the_owner_sees_the_document(app_db) -> None:
    owner = new_user("owner")
    _, invoice, _ = paid(owner, add_plan(), merchant=VAT_MERCHANT)
    _, state = await receipt_page(owner, invoice.slug)
    assert state.loaded and state.found
    assert state.receipt.number == invoice.number and "/" in state.receipt.number
    assert (state.receipt.total_paisa, state.receipt.vat_paisa) == (invoice.total_paisa, invoice.vat_paisa)


async def test_someone_else_gets_not_found_as_for_a_number_never_issued(app_db) -> None:
    _, invoice, _ = paid(new_user("owner2"), add_plan())
    stranger = new_user("stranger")
    _, state = await receipt_page(stranger, invoice.slug)
    assert state.loaded and not state.found and state.receipt.number == ""
    _, never = await receipt_page(stranger, "2083-84-999999")
    assert never.loaded and not never.found


async def test_an_admin_sees_anyones_document(app_db) -> None:
    _, invoice, _ = paid(new_user("customer"), add_plan())
    _, state = await receipt_page(make_admin(), invoice.slug)
    assert state.found and state.receipt.number == invoice.number


async def test_signed_out_goes_to_sign_in_and_back(app_db) -> None:
    _, invoice, _ = paid(new_user(), add_plan())
    tab, state = await receipt_page(None, invoice.slug)
    assert redirect_target(tab.events[-1]) == f"/login?next=%2Freceipts%2F{invoice.slug}"
    assert not state.found and state.receipt.number == ""


@pytest.mark.parametrize(
    "slug",
    [
        "not-a-number",
        "2083-84-00001",
        "2083-84-0000011",
        "2083/84-000001",
        "CN-TEST-2083-84-000001",
        "2083-84-000001%27%20OR%201=1",
        "x" * 500,
        "२०८३-८४-०००००१",  # Devanagari digits are digits to Python, not to a number in a URL
    ],
)
async def test_garbage_slugs_are_not_found_and_never_looked_up(app_db, slug: str) -> None:
    owner = new_user()
    paid(owner, add_plan())
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "invoice" in statement.lower():
            statements.append(statement)

    event.listen(app_db, "before_cursor_execute", count)
    try:
        assert find_for(slug, user_id=owner, is_admin=True) is None
        _, state = await receipt_page(owner, slug)
    finally:
        event.remove(app_db, "before_cursor_execute", count)
    assert state.loaded and not state.found
    assert statements == []


# -- the PDF download ------------------------------------------------------------------------------------------------


async def test_download_gives_the_pdf_of_the_document_in_the_address(app_db) -> None:
    owner = new_user()
    _, invoice, _ = paid(owner, add_plan(price=49_900), merchant=VAT_MERCHANT)
    tab, state = await receipt_page(owner, invoice.slug)

    [download] = await tab.run(state, "download_pdf")

    assert var_value(download, "filename") == f"{invoice.slug}.pdf"
    url = var_value(download, "url")
    assert url.startswith("data:application/pdf;base64,")
    data = base64.b64decode(url.split(",", 1)[1])
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert invoice.number in text and "Rs 499" in text


async def test_a_tab_reading_nepali_gets_the_page_and_the_pdf_in_nepali_and_the_facts_as_issued(app_db) -> None:
    owner = new_user("nepali_reader")
    _, invoice, _ = paid(owner, add_plan(price=49_900), merchant=VAT_MERCHANT)
    tab = StateDriver(user_id=owner)
    # The header's switch, as the browser keeps it.
    tab.root.get_substate(LanguageState.get_full_name().split(".")).language = "ne"
    state = tab.state(ReceiptState, f"/receipts/{invoice.slug}", route=ROUTE)
    await tab.run(state, "load")

    r = state.receipt
    assert (r.title, r.language, r.total_text) == ("कर बीजक", "ne", format_rupees(49_900, Language.NE))
    assert (r.number, r.plan_name, r.merchant_name, r.total_paisa) == (
        invoice.number,
        invoice.details["plan_name"],
        "Acme Subscriptions Pvt Ltd",
        49_900,
    )
    [download] = await tab.run(state, "download_pdf")
    data = base64.b64decode(var_value(download, "url").split(",", 1)[1])
    assert any("NotoSansDevanagari" in name for name in embedded_fonts(data))
    nepali = devanagari_only(pdf_text(data))
    assert devanagari_only(translate(Language.NE, "Taxable amount")) in nepali and "Taxable amount" not in pdf_text(
        data
    )

    # The same document in an English tab reads as before: what was issued did not change with the reading.
    _, english = await receipt_page(owner, invoice.slug)
    assert (english.receipt.title, english.receipt.total_text, english.receipt.number) == (
        "Tax Invoice",
        "Rs 499",
        invoice.number,
    )


async def test_download_checks_the_caller_again_on_the_server(app_db) -> None:
    owner, stranger = new_user(), new_user()
    _, invoice, _ = paid(owner, add_plan())
    tab, state = await receipt_page(stranger, invoice.slug)
    assert await tab.run(state, "download_pdf") == [] and not state.found

    signed_out = StateDriver()
    page = signed_out.state(ReceiptState, f"/receipts/{invoice.slug}", route=ROUTE)
    [redirect] = await signed_out.run(page, "download_pdf")
    assert redirect_target(redirect) == f"/login?next=%2Freceipts%2F{invoice.slug}"


# -- links to it -----------------------------------------------------------------------------------------------------


async def test_the_dashboard_history_links_each_invoiced_payment_to_its_receipt(app_db) -> None:
    user = new_user()
    plan = add_plan()
    _, first, _ = paid(user, plan)
    _, refunded, _ = paid(user, plan, refunded=True)
    pending(user, plan)
    tab = StateDriver(user_id=user)
    state = tab.state(DashboardState, "/dashboard")
    await tab.run(state, "load")

    hrefs = {row.reference: row.receipt_href for row in state.payments}
    assert sorted(hrefs.values()) == sorted(["", f"/receipts/{first.slug}", f"/receipts/{refunded.slug}"])


def test_the_history_reads_its_invoices_in_one_query_however_many_payments(app_db) -> None:
    user = new_user()
    plan = add_plan()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    def queries_for_history() -> int:
        statements.clear()
        event.listen(app_db, "before_cursor_execute", count)
        try:
            subscription.history(user)
        finally:
            event.remove(app_db, "before_cursor_execute", count)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    paid(user, plan)
    one = queries_for_history()
    for _ in range(4):
        paid(user, plan)
    assert len(subscription.history(user)) == 5
    assert queries_for_history() == one == 1


def test_the_admin_detail_links_the_invoice_and_its_credit_note(app_db) -> None:
    payment, invoice, credit = paid(new_user(), add_plan(), refunded=True)
    assert credit is not None
    view = DetailView.of(payment_detail(payment.id))
    assert (view.invoice_number, view.invoice_href) == (invoice.number, f"/receipts/{invoice.slug}")
    assert (view.credit_note_number, view.credit_note_href) == (credit.number, f"/receipts/{credit.slug}")

    other = pending(new_user(), add_plan("other"))
    bare = DetailView.of(payment_detail(other.id))
    assert bare.invoice_href == bare.credit_note_href == ""


# -- the PAN on the profile ------------------------------------------------------------------------------------------


async def test_a_business_saves_its_pan_and_it_is_printed_on_its_next_invoice(app_db) -> None:
    user = new_user()
    tab = StateDriver(user_id=user)
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "save", {"display_name": "Everest Traders", "pan": " 600 123 456 "})
    assert (state.errors, state.saved, state.pan) == ({}, True, "600123456")
    assert accounts.get_profile(user).pan == "600123456"
    await tab.run(state, "load")
    assert state.pan == "600123456"

    _, invoice, _ = paid(user, add_plan())
    assert receipt_view(invoice, Calendar.BOTH).buyer_pan == "600123456"

    await tab.run(state, "save", {"display_name": "Everest Traders", "pan": ""})
    assert state.errors == {} and accounts.get_profile(user).pan == ""


@pytest.mark.parametrize("pan", ["12345678", "1234567890", "60012345a", "६००१२३४५६", "600-123-456"])
async def test_a_pan_that_is_not_nine_digits_gets_its_own_message_and_nothing_is_stored(app_db, pan: str) -> None:
    user = new_user()
    tab = StateDriver(user_id=user)
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "save", {"display_name": "Ram", "pan": pan})
    assert list(state.errors) == ["pan"] and "9 digits" in state.errors["pan"] and not state.saved
    assert accounts.get_profile(user) == accounts.Profile()
