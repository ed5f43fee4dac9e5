"""The account pages in Nepali in a real browser: sign-up (refused first), profile, sign-in refused, forgot password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.numbers import format_number
from tests.e2e.helpers import PASSWORD, Journey

pytestmark = pytest.mark.e2e

NE = Language.NE
LATIN = re.compile(r"[A-Za-z]")

# The header and the page's own text, without the site's name and the switch (which names each language in
# itself): what is left must be Nepali but for the names and codes a test lists (a username, an address).
OUR_TEXT_JS = """() => {
  const parts = [];
  for (const sel of ['header', '#main-content']) {
    const copy = document.querySelector(sel).cloneNode(true);
    copy.querySelectorAll('#site-brand, #language').forEach(el => el.remove());
    parts.push(copy.innerText);
  }
  return parts.join('\\n');
}"""


def latin_left(journey: Journey, *names: str) -> list[str]:
    """Latin words on the page once the listed names and codes are taken out (empty when all is Nepali)."""
    text = journey.page.evaluate(OUR_TEXT_JS)
    for name in names:
        text = text.replace(name, "")
    return [line for line in text.splitlines() if LATIN.search(line)]


def expect_title(journey: Journey, msgid: str) -> None:
    expect(journey.page).to_have_title(re.compile("^" + re.escape(translate(NE, msgid)) + " · "))


def test_a_visitor_reading_nepali_signs_up_sees_the_profile_and_gets_back_in(journey: Journey) -> None:
    j, page = journey, journey.page
    username, email = "kamala_ne", "kamala_ne@example.com"

    # Sign-up, switched to Nepali on the page itself; a too-short password is refused in Nepali digits.
    j.goto("/register")
    page.get_by_label("Language").select_option("ne")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    expect(page.locator("#main-content h1")).to_have_text(translate(NE, "Create an account"))
    expect(page.get_by_label(translate(NE, "Username"))).to_have_attribute("id", "username")
    page.fill("#username", username)
    page.fill("#email", email)
    page.fill("#password", "short")
    page.fill("#confirm_password", "short")
    page.click("#register")
    too_short = "कम्तीमा " + format_number(8, NE) + " अक्षर प्रयोग गर्नुहोस्।"
    expect(page.locator("#password-error")).to_have_text(too_short)
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect_title(j, "Create an account")
    assert latin_left(j) == []
    j.snap("register-refused-in-nepali")

    page.fill("#password", PASSWORD)
    page.fill("#confirm_password", PASSWORD)
    page.click("#register")
    page.wait_for_url(re.compile(r"/dashboard"))
    expect(page.locator("#sign-out")).to_have_text(translate(NE, "Sign out"))

    # The profile: labels, hints, the address not yet confirmed and today's date, all in Nepali.
    j.goto("/profile")
    expect(page.locator("#main-content h1")).to_have_text(translate(NE, "Your profile"))
    expect(page.locator("#email-status")).to_have_text(
        translate(NE, "Not confirmed yet: we sent a link to {email}.", email=email)
    )
    expect(page.locator("#change-password")).to_have_text(translate(NE, "Change password"))
    expect(page.locator("#phone-hint")).to_contain_text(format_number(10, NE))
    expect_title(j, "Your profile")
    assert latin_left(j, email, "9800000001") == []
    j.snap("profile-in-nepali")

    # Signed out, a wrong password is refused in Nepali.
    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/$"))
    j.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    page.fill("#username", username)
    page.fill("#password", "not my password")
    page.click("#sign-in")
    expect(page.locator("#form-error")).to_have_text(translate(NE, "That username and password do not match."))
    expect_title(j, "Sign in")
    assert latin_left(j) == []
    j.snap("sign-in-refused-in-nepali")

    # Forgot password: the page and its answer (with its minutes in Devanagari digits) in Nepali.
    page.click("#forgot-password")
    page.wait_for_url(re.compile(r"/forgot-password/?$"))
    j.hydrated()
    expect(page.locator("#main-content h1")).to_have_text(translate(NE, "Forgot your password?"))
    page.fill("#email", email)
    page.click("#send-reset")
    expect(page.locator("#reset-requested")).to_contain_text(format_number(30, NE) + " मिनेट")
    expect_title(j, "Forgot your password")
    assert latin_left(j) == []
    j.snap("forgot-password-in-nepali")
