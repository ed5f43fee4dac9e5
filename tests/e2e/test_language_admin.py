"""The admin pages for plans, API keys and mail in Nepali: our words translated, the merchant's names kept.

The admin switches to Nepali (kept on their account), then each page is read with the names and codes taken
out (plan names and slugs, feature keys, key labels and prefixes, addresses, mail subjects in the recipient's
language, the mail server's own error words): what is left must not hold a Latin letter. The account is set
back to English at the end, so later journeys of the same admin read English.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.numbers import format_rupees
from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e

NE = Language.NE
LATIN = re.compile(r"[A-Za-z]")

# Main content and the admin nav with names and codes removed (and <style>, which a detached copy reads as
# text); examples of what to type (slugs like gold-yearly, keys like priority-support, the SMTP settings'
# names) are codes too.
OUR_TEXT_JS = """(removed) => {
  const copy = document.querySelector('#main-content').cloneNode(true);
  copy.querySelectorAll(removed).forEach(el => el.remove());
  return copy.innerText;
}"""
NAMES = ", ".join(
    (
        "style",
        "code",
        "th[scope=row]",
        ".key-label",
        ".admin-mail-row td:nth-child(2)",  # the address
        ".admin-mail-row td:nth-child(3)",  # the subject, in the recipient's language
        ".mail-error",  # the mail server's own words
    )
)
CODES = re.compile(r"kp_[\w-]+|gold-yearly|basic|downloads|priority-support|SMTP_[A-Z]+|MAIL_FROM|'[^']*'")


def our_text(journey: Journey, *names: str) -> str:
    """The page's own words: `NAMES`' elements, `CODES` and `names` (quoted in a sentence) taken out."""
    text = CODES.sub("", journey.page.evaluate(OUR_TEXT_JS, NAMES))
    for name in names:
        text = text.replace(name, "")
    return text


def test_an_admin_reads_the_plans_api_keys_and_mail_pages_in_nepali(journey: Journey) -> None:
    j, page = journey, journey.page
    # Someone signs up with an address: their verification mail is a row in the outbox (in their English).
    reader = f"reader_{secrets.token_hex(3)}"
    j.another_visitor("reader").register(reader)
    j.close_others()
    j.sign_in("e2e_admin", "e2e admin password")
    page.get_by_label("Language").select_option("ne")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    try:
        # Plans: the table's words, prices in Devanagari digits; a refused price answered in Nepali.
        j.goto("/admin/plans")
        expect(page.locator("#admin-nav-plans")).to_have_text(translate(NE, "Plans"))
        expect(page.locator("#admin-nav-api-keys")).to_have_text(translate(NE, "API keys"))
        basic = j.db.plan("basic")
        assert basic is not None
        row = page.locator('[data-plan-slug="basic"]')
        expect(row.locator(".plan-price")).to_have_text(format_rupees(basic["price_paisa"], NE))
        expect(page.locator("#plan-form-title")).to_have_text(translate(NE, "New plan"))
        page.fill("#plan-slug", "gold-yearly")
        page.fill("#plan-name", "Gold yearly")
        page.fill("#plan-price", "9.99")
        page.fill("#plan-duration", "365")
        page.click("#plan-save")
        lowest = translate(NE, "The lowest price is {price}: Khalti refuses smaller payments.", price="रु १०")
        expect(page.locator("#plan-price-error")).to_have_text(lowest)
        expect(page.locator("#plan-form-error")).to_have_text(translate(NE, "Please correct the highlighted fields."))
        text = our_text(j)
        assert not LATIN.search(text), text
        j.snap("admin-plans-in-nepali")

        # API keys: a new key's notice and the table's dates in Nepali (BS, Devanagari digits).
        j.goto("/admin/api-keys")
        expect(page.locator("#main-content h1")).to_have_text(translate(NE, "API keys"))
        label = f"nepali-{secrets.token_hex(3)}"
        page.fill("#new-key-label", label)
        page.click("#create-key")
        expect(page.locator("#new-key-value")).to_be_visible()
        expect(page.locator("#keys-notice")).to_contain_text("बनाइयो")
        expect(page.locator(".key-created").first).to_contain_text("नेपाली समय")
        text = our_text(j, label)
        assert not LATIN.search(text), text
        j.snap("admin-api-keys-in-nepali")
        page.click("#forget-key")

        # Mail: counts, filter and pager line in Nepali.
        j.goto("/admin/mail")
        expect(page.locator("#main-content h1")).to_have_text(translate(NE, "Mail"))
        expect(page.locator("#mail-status-filter")).to_have_text(translate(NE, "all"))
        expect(page.locator("#mail-page")).to_contain_text("पृष्ठ")
        assert re.search(r"[०-९]", page.locator("#mail-counts").inner_text())
        row = page.locator(".admin-mail-row", has_text=f"{reader}@example.com")
        expect(row).to_have_count(1)
        expect(row.locator(".mail-tries")).to_have_text(re.compile(r"^[०-९]+$"))
        expect(row.locator("td").first).to_contain_text("नेपाली समय")
        text = our_text(j)
        assert not LATIN.search(text), text
        j.snap("admin-mail-in-nepali")
    finally:
        # The choice was kept on the account: give the admin English back for the journeys after this one.
        page.get_by_label(translate(NE, "Language")).select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
