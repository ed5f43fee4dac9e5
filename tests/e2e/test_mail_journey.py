"""A test payment's confirmation in Chromium: queued with the payment, sent over SMTP, read in the mailbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e


def test_a_paid_subscriber_finds_the_confirmation_in_the_mailbox_and_its_link_opens_the_dashboard(
    journey: Journey,
) -> None:
    j, db = journey, journey.db
    user_id = j.register("mira_mail")
    j.goto("/profile")
    j.page.fill("#email", "mira@example.com")
    j.page.click("#profile-save")
    expect(j.page.locator("#profile-saved")).to_be_visible()

    pidx = j.buy("basic")
    payment = db.payment(pidx)
    assert payment["user_id"] == user_id and payment["status"] == "completed"
    [queued] = db.rows("SELECT * FROM outboxmessage WHERE payment_id = :id", id=payment["id"])
    assert queued["status"] == "queued" and queued["to_address"] == "mira@example.com"

    # The e2e server runs no in-process sender (RECONCILE_IN_PROCESS=0): the operator's command sends it,
    # to the emulator's SMTP server, which stores it where /sandbox/mail/ reads.
    done = j.server.python("-m", "khalti_portal", "mail", "--once")
    assert "sent 1" in done.stdout, done.stdout + done.stderr
    [sent] = db.rows("SELECT * FROM outboxmessage WHERE payment_id = :id", id=payment["id"])
    assert sent["status"] == "sent" and sent["sent_at"]

    j.page.goto(j.url("/sandbox/mail/"))
    mail = j.page.locator(f'article.mail[data-message-id="{sent["message_id"]}"]')
    expect(mail).to_have_count(1)
    expect(mail.locator(".mail-to")).to_contain_text("mira@example.com")
    expect(mail.locator(".mail-subject")).to_contain_text("Payment received: Basic")
    expect(mail).to_contain_text(payment["purchase_order_id"])
    expect(mail).to_contain_text("Rs 499")
    j.snap("mailbox-confirmation")

    mail.get_by_role("link", name="See your subscription").click()
    j.page.wait_for_url(re.compile(r"/dashboard$"))
    expect(j.page.locator("#subscription-status")).to_have_attribute("data-status", "active")
