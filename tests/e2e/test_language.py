"""The language switch in a real browser: the header and the catalog in Nepali, from the catalog, and back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from khalti_portal.i18n.catalogs import Language, translate, translate_plural
from khalti_portal.i18n.numbers import format_days, format_rupees
from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e

NE = Language.NE
LATIN = re.compile(r"[A-Za-z]")

# The header and the catalog's text with the names taken out (the site's and the plans', shown as written)
# and the switch, which names each language in itself: what is left, the plans' descriptions and features
# included (the demo plans carry Nepali ones), must not hold a Latin letter in Nepali.
OUR_TEXT_JS = """() => {
  const parts = [];
  for (const sel of ['header', '#catalog']) {
    const copy = document.querySelector(sel).cloneNode(true);
    copy.querySelectorAll('#site-brand, #language, .plan-card h2')
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
    expect(card.locator(".plan-description")).to_have_text(basic["description_ne"])  # the merchant's Nepali words
    assert basic["description_ne"] and basic["description_ne"] != basic["description"]
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


# Records what the page shows at every frame the browser paints, from the first: the text of <body> while the
# page is visible (a page kept hidden until it can be shown in Nepali records nothing).
PAINTED_JS = """
window.__painted = [];
const sample = () => {
  const shown = document.body && getComputedStyle(document.documentElement).visibility !== 'hidden';
  if (shown) window.__painted.push(document.body.innerText);
  if (window.__painted.length < 200) requestAnimationFrame(sample);
};
requestAnimationFrame(sample);
"""


def test_a_page_opened_in_nepali_never_shows_english_first(journey: Journey) -> None:
    # The page is built in English (pages are prerendered, and the choice arrives with the socket): a
    # browser that chose Nepali must not flash the English while it loads.
    page = journey.page
    journey.goto("/")
    page.get_by_label("Language").select_option("ne")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    page.add_init_script(PAINTED_JS)
    for path in ("/", "/login", "/terms"):
        page.goto(journey.url(path))
        expect(page.locator("#nav-plans")).to_have_text(translate(NE, "Plans"))
        painted = page.evaluate("() => window.__painted")
        assert painted, "nothing was painted"
        english = [text for text in painted if "Sign in" in text or "Plans" in text]
        assert english == [], f"{path}: English was shown before the Nepali: {english[0][:200]!r}"
        assert any("योजनाहरू" in text for text in painted)


# The page's own text with the merchant's and Khalti's names and codes taken out (plan names, the reference).
PAGE_TEXT_JS = """(sel) => {
  const copy = document.querySelector(sel).cloneNode(true);
  copy.querySelectorAll('h2, code, #payment-reference').forEach(el => el.remove());
  return copy.innerText;
}"""


def test_a_subscriber_reading_nepali_buys_a_plan_in_nepali(journey: Journey) -> None:
    j, page = journey, journey.page
    j.register("sita_nepali")
    page.get_by_label("Language").select_option("ne")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    basic = j.db.plan("basic")
    assert basic is not None

    # Checkout: the catalog's words, the price and length written on the server in Devanagari digits.
    j.goto("/checkout/basic")
    price = format_rupees(basic["price_paisa"], NE)
    assert re.fullmatch(r"रु [०-९,.]+", price)
    expect(page.locator("#order-amount")).to_have_text(price)
    expect(page.locator("#order-starts")).to_have_text(translate(NE, "now"))
    expect(page.locator("#order-ends")).to_contain_text("नेपाली समय")
    expect(page.locator("#main-content h1")).to_have_text(translate(NE, "Checkout"))
    expect(page.locator("#pay-with-khalti")).to_have_text(translate(NE, "Pay with Khalti"))
    expect(page.locator("#main-content")).to_contain_text(format_days(basic["duration_days"], NE))
    expect(page).to_have_title(re.compile("^" + re.escape(translate(NE, "Checkout")) + " · "))
    text = page.evaluate(PAGE_TEXT_JS, "#main-content")
    assert not LATIN.search(text), text
    j.snap("checkout-in-nepali")

    # Khalti's page is Khalti's; back on the return page the outcome is in Nepali, the expiry in BS digits.
    j.pay_with_khalti()
    j.khalti_sign_in()
    j.khalti_pay()
    j.expect_return_status("completed")
    expect(page.locator("#payment-status h2")).to_have_text(translate(NE, "Payment received — thank you!"))
    expect(page.locator("#return-expiry")).to_contain_text("नेपाली समय")
    expect(page.locator("#to-dashboard")).to_have_text(translate(NE, "Go to your dashboard"))
    text = page.evaluate(PAGE_TEXT_JS, "#main-content")
    assert not LATIN.search(text), text
    j.snap("return-in-nepali")

    # The dashboard: status, expiry and days left in Nepali, the payment's amount in Devanagari digits.
    j.open_dashboard("active")
    expect(page.locator("#subscription-status h2")).to_have_text(translate(NE, "Your subscription is active"))
    expect(page.locator("#subscription-expiry")).to_contain_text("नेपाली समय")
    assert re.search(r"[०-९]", page.locator("#subscription-expiry").inner_text())
    expect(page.locator("#days-left")).to_have_text(
        re.compile(
            r"^[०-९]+ " + re.escape(translate_plural(NE, "{n} day left", "{n} days left", 30, n="").strip()) + "$"
        )
    )
    expect(page.locator("#payment-history")).to_contain_text(price)
    j.snap("dashboard-in-nepali")
