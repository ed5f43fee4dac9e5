"""Invoices: one per completed payment, consecutive per fiscal year, VAT split to the paisa, credit notes on refund."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest
from sqlmodel import Session

from khalti_portal import reading_preferences
from khalti_portal.billing.admin.access import grant_flagged
from khalti_portal.billing.fiscal import fiscal_year, format_bs
from khalti_portal.billing.invoices import VatSplit, split_vat
from khalti_portal.billing.money import rupees_in_words
from khalti_portal.billing.nepal_time import format_nepal, format_nepal_day, iso_utc
from khalti_portal.billing.verification import verify_payment
from khalti_portal.db.models import Invoice, OutboxMessage, PaymentStatus, Plan, SubscriptionPeriod, UserProfile
from khalti_portal.i18n.dates import Calendar, format_moment
from tests.clocks import FrozenClock

pytest_plugins = ["tests.db_fixtures"]

LAST_OF_ASAR = datetime(2024, 7, 15, 18, 14, 59, tzinfo=UTC)  # 31 Asar 2081, 23:59:59 NPT
FIRST_OF_SHRAWAN = datetime(2024, 7, 15, 18, 15, tzinfo=UTC)  # 1 Shrawan 2081, 00:00 NPT


def khalti_says(world, status: str, amount: int, delay: float = 0.0):
    async def lookup(request):
        await asyncio.sleep(delay)
        pidx = json.loads(request.content)["pidx"]
        return httpx.Response(200, json=world.lookup_body(pidx, status, amount))

    return lookup


def invoices(world) -> list[Invoice]:
    return world.rows(Invoice)


def paid(world, *, plan=None, user_id=None):
    plan = plan or world.plan(f"p{len(world.rows(Plan))}", price_paisa=129_950)
    return world.payment(user_id=user_id or world.user(), plan=plan)


@pytest.mark.parametrize(
    ("bs", "ad"),
    [("2080-01-01", "2023-04-14"), ("2081-01-01", "2024-04-13"), ("2081-04-01", "2024-07-16")],
)
def test_the_calendar_agrees_with_dates_known_independently(bs: str, ad: str) -> None:
    # Nepali new years 2080 and 2081, and the first day of fiscal year 2081/82 (1 Shrawan).
    noon_npt = datetime.fromisoformat(f"{ad}T06:15:00+00:00")
    year, month, day = (int(part) for part in bs.split("-"))
    assert format_bs(noon_npt).startswith(f"{day} ")
    assert format_bs(noon_npt).endswith(f"{year} BS")
    assert fiscal_year(noon_npt) == (f"{year}/{(year + 1) % 100:02d}" if month >= 4 else f"{year - 1}/{year % 100:02d}")


def test_the_fiscal_year_turns_at_midnight_nepal_time_on_1_shrawan() -> None:
    assert fiscal_year(LAST_OF_ASAR) == "2080/81"
    assert fiscal_year(FIRST_OF_SHRAWAN) == "2081/82"


@pytest.mark.parametrize("total", [1000, 49_900, 129_950, 99_999, 1_234_567, 113, 1, 10_000_000])
@pytest.mark.parametrize("rate", [13, 10, 1, 50])
def test_the_vat_split_always_adds_up_and_rounds_the_taxable_amount_half_up(total: int, rate: int) -> None:
    split = split_vat(total, rate, registered=True)
    assert split.taxable + split.vat == total == split.total
    exact = Decimal(total) * 100 / (100 + rate)
    assert split.taxable == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert split_vat(total, rate, registered=False) == VatSplit(total, total, 0)


def test_a_known_price_splits_as_an_accountant_would() -> None:
    assert split_vat(129_950, 13, registered=True) == VatSplit(129_950, 115_000, 14_950)  # Rs 1,150 + Rs 149.50


def test_the_total_reads_in_lakh_and_crore() -> None:
    assert rupees_in_words(1_234_567_850) == (
        "Rupees One Crore Twenty-Three Lakh Forty-Five Thousand Six Hundred and Seventy-Eight and Fifty Paisa Only"
    )


async def test_a_completed_payment_gets_one_invoice_with_everything_it_shows(world, khalti):
    user_id = world.user("sita")
    with Session(world.engine) as session:
        session.add(UserProfile(user_id=user_id, display_name="Sita Traders", pan="601234567"))
        session.commit()
    payment = paid(world, user_id=user_id)
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950))

    await verify_payment(payment.pidx, source="return", deps=world.deps)
    await verify_payment(payment.pidx, source="dashboard", deps=world.deps)

    [invoice] = invoices(world)
    year = fiscal_year(world.now())
    assert (invoice.number, invoice.slug) == (f"TEST-{year}-000001", f"TEST-{year.replace('/', '-')}-000001")
    assert invoice.is_test and invoice.kind == "invoice" and invoice.payment_id == payment.id
    assert (invoice.total_paisa, invoice.taxable_paisa, invoice.vat_paisa) == (129_950, 129_950, 0)  # no VAT set
    details = invoice.details
    assert details["buyer"] == {"name": "Sita Traders", "pan": "601234567"}
    assert details["transaction_id"] == f"txn_{payment.pidx}" and details["order"] == payment.purchase_order_id
    [period] = world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment.id)
    # The date of issue in both calendars, as issued; the period as its instants (each reader's calendar
    # applies to them) beside the AD words documents were issued with before.
    assert (details["issued_bs"], details["issued_ad"]) == (format_bs(world.now()), format_nepal_day(world.now()))
    assert (details["period_from_utc"], details["period_to_utc"]) == (
        iso_utc(period.starts_at),
        iso_utc(period.ends_at),
    )
    assert (details["period_from"], details["period_to"]) == (
        format_nepal(period.starts_at),
        format_nepal(period.ends_at),
    )
    assert details["total_text"] == "Rs 1,299.50"


def test_live_payments_use_the_legal_series_and_vat_when_registered(pg_engine, make_world, khalti):
    world = make_world(pg_engine, KHALTI_ENV="live", VAT_REGISTERED="1", MERCHANT_PAN="301234567")
    payment = paid(world)
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950))
    asyncio.run(verify_payment(payment.pidx, source="return", deps=world.deps))
    [invoice] = invoices(world)
    assert invoice.number == f"{fiscal_year(world.now())}-000001" and not invoice.is_test
    assert (invoice.taxable_paisa, invoice.vat_paisa, invoice.vat_rate_percent) == (115_000, 14_950, 13)
    assert invoice.details["merchant"]["pan"] == "301234567"


@pytest.mark.postgres
def test_fifty_payments_completing_at_once_get_fifty_consecutive_numbers(pg_engine, make_world, khalti):
    world = make_world(pg_engine)
    plan = world.plan("basic", price_paisa=49_900)
    payments = [world.payment(user_id=world.user(), plan=plan) for _ in range(50)]
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 49_900, delay=0.02))
    gate = threading.Barrier(50)

    def complete(i: int):
        gate.wait()
        return asyncio.run(verify_payment(payments[i].pidx, source="reconciler", deps=world.deps))

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(complete, range(50)))

    assert all(o.changed for o in outcomes)
    numbers = sorted(invoice.sequence for invoice in invoices(world))
    assert numbers == list(range(1, 51))
    assert len({invoice.payment_id for invoice in invoices(world)}) == 50


@pytest.mark.postgres
def test_twenty_verifiers_racing_on_one_payment_issue_one_number(pg_engine, make_world, khalti):
    world = make_world(pg_engine)
    payment = paid(world)
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950, delay=0.05))
    gate = threading.Barrier(20)

    def verify(_: int):
        gate.wait()
        return asyncio.run(verify_payment(payment.pidx, source="return", deps=world.deps))

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(verify, range(20)))
    assert [invoice.sequence for invoice in invoices(world)] == [1]


async def test_payments_either_side_of_1_shrawan_are_numbered_in_their_own_fiscal_years(world, khalti, make_world):
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950))
    for instant in (LAST_OF_ASAR, FIRST_OF_SHRAWAN, FIRST_OF_SHRAWAN + timedelta(hours=1)):
        world.clock.set(instant)
        payment = paid(world)
        await verify_payment(payment.pidx, source="return", deps=world.deps)
    assert [(i.fiscal_year, i.sequence) for i in invoices(world)] == [("2080/81", 1), ("2081/82", 1), ("2081/82", 2)]


async def test_a_refund_issues_a_credit_note_that_names_the_invoice(world, khalti):
    payment = paid(world)
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    world.clock.advance(timedelta(days=2))
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Refunded", 129_950))

    outcome = await verify_payment(payment.pidx, source="admin", deps=world.deps)

    assert outcome.status == "refunded"
    invoice, note = invoices(world)
    year = fiscal_year(world.now())
    assert note.kind == "credit_note" and note.number == f"TEST-CN-{year}-000001"
    assert note.reverses_number == invoice.number
    assert (note.total_paisa, note.taxable_paisa, note.vat_paisa) == (
        invoice.total_paisa,
        invoice.taxable_paisa,
        invoice.vat_paisa,
    )
    await verify_payment(payment.pidx, source="admin", deps=world.deps)
    assert len(invoices(world)) == 2  # still one credit note


def test_an_admin_accepting_a_flagged_payment_numbers_it_then(world):
    payment = world.payment(user_id=world.user(), plan=world.plan(), status=PaymentStatus.FLAGGED)
    assert invoices(world) == []
    assert grant_flagged(payment.id, actor_user_id=world.user("boss"), reason="paid in full", deps=world.deps).ok
    [invoice] = invoices(world)
    assert invoice.payment_id == payment.id and invoice.sequence == 1


async def test_an_issued_invoice_never_changes_when_the_plan_profile_or_merchant_change(
    sqlite_engine, make_world, khalti
):
    world = make_world(sqlite_engine, MERCHANT_NAME="First Name Pvt. Ltd.")
    user_id = world.user("hari")
    with Session(world.engine) as session:
        session.add(UserProfile(user_id=user_id, display_name="Hari"))
        session.commit()
    payment = paid(world, user_id=user_id)
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    [before] = invoices(world)
    with Session(world.engine) as session:
        plan = session.get(Plan, payment.plan_id)
        plan.name, plan.price_paisa = "Renamed", 999_900
        profile = session.get(UserProfile, user_id)
        profile.display_name = "Someone Else"
        session.add_all([plan, profile])
        session.commit()
    renamed = make_world(sqlite_engine, MERCHANT_NAME="Second Name Pvt. Ltd.", clock=FrozenClock(world.now()))
    khalti.routes["lookup"].mock(side_effect=khalti_says(renamed, "Completed", 129_950))
    await verify_payment(payment.pidx, source="admin", deps=renamed.deps)
    [after] = invoices(world)
    assert after.details == before.details and after.total_paisa == before.total_paisa
    assert after.details["merchant"]["name"] == "First Name Pvt. Ltd." and after.details["buyer"]["name"] == "Hari"


async def test_the_confirmation_mail_names_its_invoice(world, khalti):
    user_id = world.user("gita")
    with Session(world.engine) as session:
        session.add(UserProfile(user_id=user_id, email="gita@example.com", email_verified_at=world.now()))
        session.commit()
    payment = paid(world, user_id=user_id)
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    [message] = world.rows(OutboxMessage, OutboxMessage.template == "payment_completed")
    [invoice] = invoices(world)
    assert message.context["invoice_number"] == invoice.number


async def mailed_receipt(world, khalti, name: str, *, calendar: str = "", language: str = ""):
    """A subscriber `name` (with a confirmed address, and the calendar and language given) pays Rs 1,299.50;
    the confirmation mail is sent to a real SMTP server: the invoice, the payment and the PDF attached."""
    from tests.smtp_support import TestSmtpServer, deliver_to

    user_id = world.user(name)
    with Session(world.engine) as session:
        session.add(UserProfile(user_id=user_id, email=f"{name}@example.com", email_verified_at=world.now()))
        session.commit()
    if calendar:
        assert reading_preferences.set_calendar(user_id, calendar, engine=world.engine) is None
    if language:
        assert reading_preferences.set_language(user_id, language, engine=world.engine) is None
    payment = paid(world, user_id=user_id)
    khalti.routes["lookup"].mock(side_effect=khalti_says(world, "Completed", 129_950))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    [invoice] = invoices(world)
    server = TestSmtpServer()
    report = await deliver_to(server, world.engine, world.settings)
    assert report.sent == 1
    [attachment] = list(server.received[0].iter_attachments())
    assert attachment.get_filename() == f"{invoice.slug}.pdf" and attachment.get_content_type() == "application/pdf"
    return invoice, payment, attachment.get_content()


@pytest.mark.parametrize("chosen", [Calendar.BS, Calendar.AD, None])
async def test_the_confirmation_mail_carries_the_receipt_as_a_pdf(world, khalti, chosen):
    import io

    from pypdf import PdfReader

    invoice, payment, data = await mailed_receipt(world, khalti, "mina", calendar=chosen.value if chosen else "")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert invoice.number in text and "1,299.50" in text
    # The receipt's period is in the calendar the mail's own dates are in: the recipient's (else the site's).
    [period] = world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment.id)
    calendar = chosen or world.settings.default_calendar
    flat = " ".join(text.split())  # the PDF may wrap a long date
    assert f"Period from {format_moment(period.starts_at, calendar)}" in flat
    assert f"Period to {format_moment(period.ends_at, calendar)}" in flat
    # The date of issue reads in both calendars whoever receives it.
    assert (
        f"Date (BS) {format_bs(invoice.issued_at)}" in flat
        and f"Date (AD) {format_nepal_day(invoice.issued_at)}" in flat
    )


async def test_the_receipt_mailed_to_a_nepali_reader_is_written_in_nepali(world, khalti):
    import io

    from pypdf import PdfReader

    from khalti_portal.i18n.catalogs import Language, translate
    from tests.test_pdf_fonts import devanagari_only, embedded_fonts

    invoice, _payment, data = await mailed_receipt(world, khalti, "sita", language="ne")  # the account's language
    assert any("NotoSansDevanagari" in name for name in embedded_fonts(data))
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert invoice.number in text and "Period from" not in text and "Total" not in text
    nepali = devanagari_only(text)
    for label in ("Period from", "Total", "Number"):
        assert devanagari_only(translate(Language.NE, label)) in nepali
    assert "रु १,२९९.५०" in text
