"""Getting back into an account in Chromium: confirm the address from the mail, forget the password, reset it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, Journey

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a new password after reset"


def test_confirm_the_address_forget_the_password_and_reset_it_from_the_mail(journey: Journey) -> None:
    j = journey
    email = "rita_recovers@example.com"
    j.register("rita_recovers")
    j.goto("/profile")
    expect(j.page.locator("#email-status")).to_have_attribute("data-verified", "false")

    j.confirm_email(email)
    j.snap("email-confirmed")
    j.goto("/profile")
    expect(j.page.locator("#email-status")).to_have_attribute("data-verified", "true")
    j.page.click("#sign-out")
    j.page.wait_for_url(re.compile(r"/$"))

    # Forgotten: from the sign-in page, ask twice; only the newer link may work.
    j.goto("/login")
    j.page.click("#forgot-password")
    j.page.wait_for_url(re.compile(r"/forgot-password/?$"))
    j.hydrated()
    for _ in range(2):
        j.page.fill("#email", email)
        j.page.click("#send-reset")
        expect(j.page.locator("#reset-requested")).to_contain_text("on its way")
        j.send_mail()
    j.snap("reset-requested")
    links = [m for m in j.mailbox(email) if m["subject"].startswith("Reset your password")]
    assert len(links) == 2
    newer, older = (re.search(r"https?://\S+", m["text"]).group(0) for m in links)  # newest first

    j.page.goto(newer)
    j.hydrated()
    j.page.fill("#password", NEW_PASSWORD)
    j.page.fill("#confirm_password", NEW_PASSWORD)
    j.snap("reset-form")
    j.page.click("#set-password")
    j.page.wait_for_url(re.compile(r"/dashboard/?$"))
    expect(j.page.locator("#sign-out")).to_be_visible()  # signed in by the reset

    # The older link, and the newer one a second time, no longer work.
    for spent in (older, newer):
        j.page.goto(spent)
        j.hydrated()
        expect(j.page.locator("#reset-link-problem")).to_be_visible()
        expect(j.page.locator("#set-password")).to_have_count(0)
    j.snap("reset-link-spent")

    # The new password signs in; the old one no longer does (tried last: a failure slows the next sign-in).
    j.page.click("#sign-out")
    j.page.wait_for_url(re.compile(r"/$"))
    j.sign_in("rita_recovers", NEW_PASSWORD)
    j.open_dashboard("none")
    j.page.click("#sign-out")
    j.page.wait_for_url(re.compile(r"/$"))
    j.goto("/login")
    j.page.fill("#username", "rita_recovers")
    j.page.fill("#password", PASSWORD)
    j.page.click("#sign-in")
    expect(j.page.locator("#form-error")).to_contain_text("do not match")
