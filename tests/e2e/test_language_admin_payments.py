"""The admin payments page read in Nepali, in Chromium: figures, charts, the revenue table, the list, filters, one
payment's detail, and a date the filter refuses, all in Nepali words and Devanagari digits; names and codes
(usernames, plan names, order ids, pidx, transaction and invoice numbers) stay as they are."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.date_input import parse_day
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_number, format_rupees
from tests.e2e.helpers import Journey
from tests.e2e.server import ADMIN_PASSWORD, ADMIN_USERNAME

pytestmark = pytest.mark.e2e

NE = Language.NE
LATIN = re.compile(r"[A-Za-z]")

# The page's own text with names and codes taken out: the admin links (another page's work), order ids and
# every other <code>, the payment's pidx, transaction and invoice numbers, Khalti's raw answers and the audit
# rows' logged detail. What is left, once the plan's and the people's names are removed, holds no Latin letter.
PAGE_TEXT_JS = """() => {
  const copy = document.querySelector('#main-content').cloneNode(true);
  copy.querySelectorAll(
    '#admin-nav, code, pre, #payment-detail-pidx, #payment-detail-transaction, #payment-detail-invoice, .event-detail'
  ).forEach(el => el.remove());
  // Not read by anyone: style sheets, and what is hidden from people (a select's native twin for the form).
  copy.querySelectorAll('style, [aria-hidden="true"]').forEach(el => el.remove());
  return copy.innerText;
}"""


def names_in_the_database(j: Journey) -> list[str]:
    """Every username and plan name (as sold and as bought): other tests' people and plans are listed too."""
    found = [r["username"] for r in j.db.rows("SELECT username FROM localuser")]
    found += [r["name"] for r in j.db.rows("SELECT name FROM plan")]
    found += [r["plan_name"] for r in j.db.rows("SELECT DISTINCT plan_name FROM payment")]
    return found


def our_text(j: Journey, *names: str) -> str:
    text = j.page.evaluate(PAGE_TEXT_JS)
    for name in sorted({*names, *names_in_the_database(j)}, key=len, reverse=True):
        text = text.replace(name, "")
    # The file format's name and Khalti's name for its payment id, as Nepali admins know them too.
    return text.replace("CSV", "").replace("pidx", "")


def test_an_admin_reading_nepali_sees_the_payments_page_in_nepali(journey: Journey) -> None:
    subscriber = journey
    buyer = f"ram_{secrets.token_hex(3)}"
    subscriber.register(buyer)
    subscriber.buy("basic")
    basic = subscriber.db.plan("basic")
    assert basic is not None

    j = subscriber.another_visitor("admin")
    page = j.page
    j.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    j.goto("/admin/payments")
    expect(page.locator("#admin-payments")).to_be_visible()
    page.get_by_label("Language").select_option("ne")
    try:
        expect(page.locator("html")).to_have_attribute("lang", "ne")
        # on_load ran again: what the server writes is in Nepali too.
        expect(page.locator("#periods-heading")).to_have_text(
            translate(NE, "The last {n} months (BS)", n=format_number(12, NE))
        )
        expect(page.locator("#main-content h1")).to_have_text(translate(NE, "Payments"))
        expect(page.locator("#figure-active")).to_contain_text(translate(NE, "Active subscribers"))
        assert re.fullmatch(r"[०-९,]+", page.locator("#figure-active .figure-value").inner_text())
        expect(page.locator("#figure-revenue .figure-value")).to_have_text(re.compile(r"^-?रु [०-९,.]+$"))
        expect(page.locator("#revenue-table th").first).to_have_text(translate(NE, "Period"))
        # The last period is this BS month, named in Nepali, and the charts' axes count in Devanagari digits.
        expect(page.locator("#revenue-table tbody tr").last.locator(".period-label")).to_have_text(
            re.compile(r"^\S+ [०-९]{4}$")
        )
        expect(page.locator("#revenue-chart .recharts-bar-rectangle").first).to_be_attached()
        tick_labels = page.locator("#revenue-chart .recharts-yAxis-tick-labels text")
        expect(tick_labels.first).to_be_attached()
        ticks = tick_labels.all_text_contents()
        assert ticks and all(re.fullmatch(r"-?[०-९,]+", tick) for tick in ticks), ticks
        expect(page.locator("#payments-page")).to_have_text(re.compile(r"^पृष्ठ [०-९]+ / [०-९]+ · [०-९,]+ भुक्तानी$"))
        text = our_text(j, basic["name"], buyer, ADMIN_USERNAME)
        assert not LATIN.search(text), text
        page.locator("#monthly-figures").scroll_into_view_if_needed()
        j.snap("admin-payments-in-nepali")

        # The buyer's payment: found by name, its row and its detail in Nepali, the amount in Devanagari digits.
        page.locator("#payment-search").fill(buyer)
        page.locator("#payment-search-submit").click()
        expect(page.locator(".admin-payment-row")).to_have_count(1)
        row = page.locator(".admin-payment-row")
        amount = format_rupees(basic["price_paisa"], NE)
        expect(row).to_contain_text(amount)
        expect(row.locator(".payment-status")).to_have_text(translate(NE, "completed"))
        row.locator(".payment-open").click()
        detail = page.locator("#payment-detail")
        expect(detail).to_be_visible()
        expect(page.locator("#payment-detail-amount")).to_have_text(amount)
        expect(page.locator("#payment-detail-period")).to_contain_text("नेपाली समय")
        expect(detail.locator("h3").last).to_have_text(translate(NE, "Audit trail"))
        expect(page.locator("#payment-refund")).to_have_text(translate(NE, "Refund…"))
        text = our_text(j, basic["name"], buyer, ADMIN_USERNAME)
        assert not LATIN.search(text), text
        j.snap("admin-payment-detail-in-nepali")

        # The refund dialog asks in Nepali (and is closed again without refunding).
        page.locator("#payment-refund").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text(translate(NE, "Refund {amount} to {name}?", amount=amount, name=buyer))
        expect(dialog.locator(".dialog-cancel")).to_have_text(translate(NE, "Cancel"))
        dialog.locator(".dialog-cancel").click()
        expect(dialog).to_have_count(0)

        # An impossible day, typed with Devanagari digits and the Nepali BS marker, is refused in Nepali.
        # The admin reads the site's default, both calendars: the box reads AD unless the date says BS.
        expect(page.locator("label[for=payment-created-from]")).to_have_text(
            translate(NE, "{box} ({calendar})", box=translate(NE, "From"), calendar=translate(NE, "AD"))
        )
        page.locator("#payment-created-from").fill("२०८३-०८-३२ वि.सं.")
        page.locator("#payment-search-submit").click()
        problem = parse_day("2083-08-32 BS", Calendar.BOTH, NE)
        assert isinstance(problem, str) and "मंसिर" in problem
        expect(page.locator("#admin-error")).to_have_text(
            translate(NE, "{field}: {problem}", field=translate(NE, "From"), problem=problem)
        )
        assert not LATIN.search(page.locator("#admin-error").inner_text())
        text = our_text(j, basic["name"], buyer, ADMIN_USERNAME)
        assert not LATIN.search(text), text
        j.snap("admin-payments-date-refused-in-nepali")
    finally:
        # The choice is kept on the admin's account: later tests read this admin in English again.
        page.get_by_label(re.compile("Language|" + translate(NE, "Language"))).select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#periods-heading")).to_have_text("The last 12 months (BS)")
