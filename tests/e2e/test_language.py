"""The language switch in a real browser: the header and the catalog in Nepali, from the catalog, and back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.numbers import format_days, format_rupees
from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e

NE = Language.NE
LATIN = re.compile(r"[A-Za-z]")

# The header and the catalog's own text with the merchant's words taken out (the site's name, the plans'
# names, descriptions and features are theirs, shown as written) and the switch, which names each language
# in itself: what is left must not hold a Latin letter in Nepali.
OUR_TEXT_JS = """() => {
  const parts = [];
  for (const sel of ['header', '#catalog']) {
    const copy = document.querySelector(sel).cloneNode(true);
    copy.querySelectorAll('#site-brand, #language, .plan-card h2, .plan-card ul, .plan-description')
        .forEach(el => el.remove());
    parts.push(copy.innerText);
  }
  return parts.join('\\n');
}"""


def test_switching_to_nepali_shows_the_header_and_catalog_from_the_catalog(journey: Journey) -> None:
    page = journey.page
    fonts_fetched: list[str] = []
    page.on("request", lambda request: fonts_fetched.append(request.url) if "Devanagari" in request.url else None)
    journey.goto("/")
    basic = journey.db.plan("basic")
    assert basic is not None
    card = journey.plan_card("basic")
    expect(card.locator(".plan-price")).to_have_text(format_rupees(basic["price_paisa"]))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.wait_for_load_state("networkidle")
    assert fonts_fetched == []  # a page read in English never downloads the Devanagari font

    # The switch is a labelled native select: reached by Tab, changed with an arrow key (English, then नेपाली).
    switch = page.get_by_label("Language")
    expect(switch).to_have_attribute("id", "language")
    switch.focus()
    page.keyboard.press("ArrowDown")

    expect(page.locator("html")).to_have_attribute("lang", "ne")
    expect(page.locator("#nav-plans")).to_have_text(translate(NE, "Plans"))
    expect(page.locator("#nav-sign-in")).to_have_text(translate(NE, "Sign in"))
    expect(page.locator("#nav-register")).to_have_text(translate(NE, "Register"))
    expect(page.locator("#emulator-banner")).to_have_text(translate(NE, "Khalti emulator — no real money moves"))
    expect(page.get_by_label(translate(NE, "Language"))).to_have_value("ne")
    expect(page.locator("#catalog h1")).to_have_text(translate(NE, "Choose your plan"))
    # Prices and lengths come from the server, built again in Nepali when the language changed.
    price = format_rupees(basic["price_paisa"], NE)
    assert re.fullmatch(r"रु [०-९,.]+", price)
    expect(card.locator(".plan-price")).to_have_text(price)
    expect(card).to_contain_text(translate(NE, "for {duration}", duration=format_days(basic["duration_days"], NE)))
    expect(card.locator(".subscribe")).to_have_text(translate(NE, "Subscribe"))
    expect(page).to_have_title(re.compile("^" + re.escape(translate(NE, "Plans")) + " · "))
    assert not LATIN.search(page.evaluate(OUR_TEXT_JS)), page.evaluate(OUR_TEXT_JS)
    # Drawn in the shipped Noto Sans Devanagari (this machine's Chromium has no Devanagari font of its own).
    page.wait_for_function("() => document.fonts.check(\"16px 'Portal Devanagari'\", 'योजना')")
    assert page.evaluate(
        "() => [...document.fonts].some(f => f.family.includes('Portal Devanagari') && f.status === 'loaded')"
    )
    journey.snap("catalog-in-nepali")

    # Kept in the browser: a new visit opens in Nepali.
    journey.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    expect(page.locator("#nav-plans")).to_have_text(translate(NE, "Plans"))
    expect(card.locator(".plan-price")).to_have_text(price)

    page.get_by_label(translate(NE, "Language")).select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#nav-plans")).to_have_text("Plans")
    expect(card.locator(".plan-price")).to_have_text(format_rupees(basic["price_paisa"]))
    expect(page).to_have_title(re.compile(r"^Plans · "))
    journey.snap("catalog-back-in-english")
