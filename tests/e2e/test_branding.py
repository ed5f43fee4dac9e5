"""The site is the merchant's own: built with SITE_NAME="Pahilo Patrika" (server.BRAND, for the whole session),
every page a visitor, a subscriber and an admin can open says so in its title and header, has the footer
with the contact and the legal links, and nowhere says `khalti_portal`; mail is signed with the same name."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Journey
from tests.e2e.server import ADMIN_PASSWORD, ADMIN_USERNAME, BRAND

pytestmark = pytest.mark.e2e

SITE = BRAND["SITE_NAME"]
PROJECT_NAME = "khalti_portal"

SIGNED_OUT = {
    "/": "Plans",
    "/login": "Sign in",
    "/register": "Create an account",
    "/forgot-password": "Forgot your password",
    "/reset-password": "Choose a new password",
    "/verify-email": "Confirm your email address",
    "/unsubscribe": "Renewal reminders",
    "/payment/return": "Your payment",
    "/terms": "Terms",
    "/privacy": "Privacy",
}
SUBSCRIBER = {
    "/dashboard": "Dashboard",
    "/members": "Members",
    "/profile": "Your profile",
    "/checkout/standard": "Checkout",
}
ADMIN = {
    "/admin/plans": "Admin: plans",
    "/admin/payments": "Admin: payments",
    "/admin/mail": "Admin: mail",
    "/admin/api-keys": "Admin: API keys",
}


def assert_branded(j: Journey, path: str, title: str) -> None:
    """Open `path`: its title, header and footer are the merchant's, and no text on it names the project."""
    j.goto(path)
    page = j.page
    expect(page).to_have_title(f"{title} · {SITE}")
    expect(page.locator("#site-brand")).to_contain_text(SITE)
    expect(page.locator("#site-tagline")).to_have_text(BRAND["SITE_TAGLINE"])
    footer = page.locator("#site-footer")
    expect(footer).to_contain_text(BRAND["MERCHANT_EMAIL"])
    expect(footer.locator("#footer-phone")).to_have_attribute("href", "tel:+97714412345")
    expect(footer.locator("#footer-terms")).to_have_attribute("href", "/terms")
    expect(footer.locator("#footer-privacy")).to_have_attribute("href", "/privacy")
    expect(page.locator("main .rt-Spinner")).to_have_count(0)  # the page's own content has loaded
    text = page.locator("body").inner_text()
    assert PROJECT_NAME not in text, f"{path} shows {PROJECT_NAME!r}"
    assert PROJECT_NAME not in page.title()
    j.record()


def test_every_page_is_the_merchants_for_a_visitor_a_subscriber_and_an_admin(journey: Journey) -> None:
    j = journey
    for path, title in SIGNED_OUT.items():
        assert_branded(j, path, title)

    j.register("pema_branded")
    pidx = j.buy("basic")
    assert_branded(j, f"/payment/return?pidx={pidx}", "Your payment")
    for path, title in SUBSCRIBER.items():
        assert_branded(j, path, title)
    [invoice] = j.db.rows(
        "SELECT invoice.slug FROM invoice JOIN payment ON payment.id = invoice.payment_id WHERE payment.pidx = :p",
        p=pidx,
    )
    assert_branded(j, f"/receipts/{invoice['slug']}", "Receipt")

    j.page.click("#sign-out")
    j.page.wait_for_url(re.compile(r"/$"))
    j.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    for path, title in ADMIN.items():
        assert_branded(j, path, title)


def test_the_logo_favicon_and_accent_colour_are_the_merchants(journey: Journey) -> None:
    j = journey
    j.goto("/")
    logo = j.page.locator("#site-brand img")
    expect(logo).to_have_attribute("src", re.compile(r"^/logo\.svg\?v=[0-9a-f]{12}$"))
    assert j.page.evaluate("img => img.complete && img.naturalWidth > 0", logo.element_handle())
    icon = j.page.locator('head link[rel="icon"]')
    expect(icon).to_have_attribute("href", re.compile(r"^/favicon\.svg\?v=[0-9a-f]{12}$"))
    served = httpx.get(j.url(icon.get_attribute("href") or ""), timeout=10)
    assert served.status_code == 200 and served.headers["content-type"].startswith("image/svg+xml")
    # Radix Themes takes the accent from the theme root: ACCENT_COLOR=crimson in this session.
    expect(j.page.locator('.radix-themes[data-accent-color="crimson"]').first).to_be_attached()
    j.snap("catalog-branded")


def test_the_terms_and_privacy_are_the_merchants_markdown_marked_as_templates(journey: Journey) -> None:
    j = journey
    j.goto("/")
    j.page.click("#footer-terms")
    j.page.wait_for_url(re.compile(r"/terms/?$"))
    doc = j.page.locator("#legal-document")
    expect(doc.locator("h1")).to_have_text("Terms of service")
    expect(doc.locator("blockquote")).to_contain_text("This is a template, not legal advice.")
    j.snap("terms")
    j.page.click("#footer-privacy")
    j.page.wait_for_url(re.compile(r"/privacy/?$"))
    expect(j.page.locator("#legal-document h1")).to_have_text("Privacy")
    expect(j.page).to_have_title(f"Privacy · {SITE}")


def test_mail_is_signed_with_the_same_name(journey: Journey) -> None:
    j = journey
    j.register("dawa_mailed")
    j.send_mail()
    [confirm] = [m for m in j.mailbox("dawa_mailed@example.com") if m["subject"].startswith("Confirm")]
    assert SITE in confirm["from"] and confirm["subject"].endswith(f"· {SITE}")
    assert f"your account at {SITE}" in confirm["text"] and PROJECT_NAME not in confirm["text"]
