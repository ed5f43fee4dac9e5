"""A subscriber reading Nepali: the receipt page and its PDF, the members area and the terms, in Nepali."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.numbers import format_rupees
from tests.e2e.helpers import Journey
from tests.test_pdf_fonts import PDF_LABELS, devanagari_only, embedded_fonts, pdf_text

pytestmark = pytest.mark.e2e

NE = Language.NE
LATIN = re.compile(r"[A-Za-z]")

# Our words on a page, with the names and codes taken out: the document's number and the invoice it reverses,
# the merchant's name and address, the buyer's name (the username here), the plan's name, Khalti's transaction
# id and our order reference; the merchant's own Markdown on /members; file names (`code`) in the legal text.
OUR_TEXT_JS = """([sel, drop]) => {
  const copy = document.querySelector(sel).cloneNode(true);
  copy.querySelectorAll(drop).forEach(el => el.remove());
  return copy.innerText;
}"""
RECEIPT_NAMES = (
    "#receipt-number, #receipt-reverses, #receipt-merchant, #receipt-merchant-address, #receipt-buyer,"
    " #receipt-plan, #receipt-transaction, #receipt-order, style"
)


def our_text(j: Journey, selector: str, names: str) -> str:
    return j.page.evaluate(OUR_TEXT_JS, [selector, names])


def test_a_nepali_reader_gets_the_receipt_its_pdf_the_members_area_and_the_terms_in_nepali(journey: Journey) -> None:
    j, page = journey, journey.page
    user_id = j.register("mina_nepali")
    page.get_by_label("Language").select_option("ne")
    expect(page.locator("html")).to_have_attribute("lang", "ne")

    # Bought in Nepali on the emulator (the catalog's button reads in Nepali, so the checkout is opened by address).
    j.goto("/checkout/basic")
    expect(page.locator("#pay-with-khalti")).to_have_text(translate(NE, "Pay with Khalti"))
    pidx = j.pay_with_khalti()
    j.khalti_sign_in()
    j.khalti_pay()
    j.expect_return_status("completed")
    payment = j.db.payment(pidx)
    [invoice] = j.db.rows("SELECT * FROM invoice WHERE payment_id = :id", id=payment["id"])
    assert invoice["user_id"] == user_id

    # The receipt page, opened from the dashboard: labels, title, amounts and dates in Nepali; the facts as issued.
    j.open_dashboard("active")
    page.locator("a.receipt-link").first.click()
    page.wait_for_url(re.compile(rf"/receipts/{re.escape(invoice['slug'])}/?$"))
    j.hydrated()
    expect(page.locator("#receipt-number")).to_have_text(invoice["number"])
    title = page.locator("#receipt-title")
    expect(title).to_have_text(re.compile(r"^(कर बीजक|बीजक)$"))
    expect(page.locator("#receipt-total")).to_have_attribute("data-paisa", str(invoice["total_paisa"]))
    expect(page.locator("#receipt-total")).to_contain_text(translate(NE, "Total"))
    expect(page.locator("#receipt-total")).to_contain_text(format_rupees(invoice["total_paisa"], NE))
    expect(page.locator("#receipt-test-marker")).to_have_text(translate(NE, "TEST — not valid for tax"))
    expect(page.locator("#receipt-issued-bs")).to_have_text(re.compile(r"^[०-९]+ \S+ [०-९]{4}$"))
    expect(page.locator("#receipt-period-to")).to_contain_text("नेपाली समय")
    expect(page.locator("#receipt-plan")).to_have_text(payment["plan_name"])
    expect(page.locator("#receipt-buyer")).to_have_text("mina_nepali")
    expect(page.locator("#download-pdf")).to_have_text(translate(NE, "Download PDF"))
    expect(page).to_have_title(re.compile("^" + re.escape(translate(NE, "Receipt")) + " · "))
    text = our_text(j, "#main-content", RECEIPT_NAMES)
    assert not LATIN.search(text), text
    assert translate(NE, "Billed to") in text and translate(NE, "Period from") in text
    j.snap("receipt-in-nepali")

    # Its PDF, in the words the page is read in: the shipped Devanagari font embedded, the labels in Nepali.
    with page.expect_download() as waiting:
        page.click("#download-pdf")
    with open(waiting.value.path(), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    fonts = embedded_fonts(data)
    assert any("NotoSansDevanagari" in name and embedded for name, embedded in fonts.items()), fonts
    extracted = pdf_text(data)
    nepali = devanagari_only(extracted)
    # The buyer gave no PAN (that line is left out); a taxable amount is written only when VAT is charged.
    for label in {*PDF_LABELS} - {"Buyer's PAN", "Taxable amount"}:
        assert devanagari_only(translate(NE, label)) in nepali, label
    if invoice["vat_paisa"]:
        assert devanagari_only(translate(NE, "Taxable amount")) in nepali
    assert invoice["number"] in extracted and "Total" not in extracted and "Billed to" not in extracted

    # The members' area: our words in Nepali, the merchant's pages as written.
    j.goto("/members")
    expect(page.locator("#members-content")).to_be_visible()
    expect(page.locator("#main-content").get_by_role("heading").first).to_have_text(translate(NE, "Members"))
    text = our_text(j, "#main-content", "#members-content")
    assert not LATIN.search(text), text
    expect(page).to_have_title(re.compile("^" + re.escape(translate(NE, "Members")) + " · "))
    j.snap("members-in-nepali")

    # The terms: the merchant's Nepali template (it says it must be adapted), under Nepali chrome.
    j.goto("/terms")
    expect(page.locator("#legal-document h1")).to_have_text("सेवाका सर्तहरू")
    expect(page.locator("#legal-document blockquote")).to_contain_text("यो नमुना मात्र हो")
    text = our_text(j, "#legal-document", "code")
    assert not LATIN.search(text), text
    expect(page).to_have_title(re.compile("^" + re.escape(translate(NE, "Terms")) + " · "))
    j.snap("terms-in-nepali")

    # Back in English, the same address shows the English file.
    page.get_by_label(translate(NE, "Language")).select_option("en")
    expect(page.locator("#legal-document h1")).to_have_text("Terms of service")
