"""A test payment's confirmation in Chromium: queued with the payment, sent over SMTP, read in the mailbox."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from khalti_portal.config import load_settings
from khalti_portal.i18n.dates import format_day, format_moment
from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e


def test_a_paid_subscriber_finds_the_confirmation_in_the_mailbox_and_its_link_opens_the_dashboard(
    journey: Journey,
) -> None:
    j, db = journey, journey.db
    user_id = j.register("mira_mail")
    j.confirm_email("mira_mail@example.com")  # until then, only the confirmation link goes to the address

    pidx = j.buy("basic")
    payment = db.payment(pidx)
    assert payment["user_id"] == user_id and payment["status"] == "completed"
    [queued] = db.rows("SELECT * FROM outboxmessage WHERE payment_id = :id", id=payment["id"])
    assert queued["status"] == "queued" and queued["to_address"] == "mira_mail@example.com"

    # The e2e server runs no in-process sender (RECONCILE_IN_PROCESS=0): the operator's command sends it,
    # to the emulator's SMTP server, which stores it where /sandbox/mail/ reads.
    assert "sent 1" in j.send_mail()
    [sent] = db.rows("SELECT * FROM outboxmessage WHERE payment_id = :id", id=payment["id"])
    assert sent["status"] == "sent" and sent["sent_at"]

    j.page.goto(j.url("/sandbox/mail/"))
    mail = j.page.locator(f'article.mail[data-message-id="{sent["message_id"]}"]')
    expect(mail).to_have_count(1)
    expect(mail.locator(".mail-to")).to_contain_text("mira_mail@example.com")
    # Mira chose no calendar: the mail's dates are in the server's DEFAULT_CALENDAR (both, unless set).
    calendar = load_settings(j.server.env).default_calendar
    [period] = db.periods(user_id)
    expect(mail.locator(".mail-subject")).to_contain_text(
        f"Payment received: Basic until {format_day(period['ends_at'], calendar)}"
    )
    for moment in (period["starts_at"], period["ends_at"]):  # the HTML part's From and Until
        expect(mail.locator(".mail-html")).to_contain_text(format_moment(moment, calendar))
    expect(mail).to_contain_text(payment["purchase_order_id"])
    expect(mail).to_contain_text("Rs 499")
    j.snap("mailbox-confirmation")

    link = mail.get_by_role("link", name="See your subscription")
    colours = link.evaluate("a => [getComputedStyle(a).color, getComputedStyle(a).backgroundColor]")
    assert colours[0] != colours[1], f"the button's text is invisible: {colours}"
    link.click()
    j.page.wait_for_url(re.compile(r"/dashboard/?$"))
    expect(j.page.locator("#subscription-status")).to_have_attribute("data-status", "active")


def test_an_admin_sees_a_failed_message_with_its_error_and_retries_it(journey: Journey) -> None:
    admin, db = journey, journey.db
    [message] = db.rows(
        "SELECT * FROM outboxmessage WHERE to_address = 'mira_mail@example.com' AND template = 'payment_completed'"
    )
    # A refusal the emulator's mailbox never gives: written the way the sender records a 5xx.
    with sqlite3.connect(db.path, timeout=10) as conn:
        conn.execute(
            "UPDATE outboxmessage SET status = 'failed', attempts = 1, sent_at = NULL, last_error = ? WHERE id = ?",
            ("mira_mail@example.com refused: 550 5.1.1 Mailbox unavailable", message["id"]),
        )

    admin.sign_in("e2e_admin", "e2e admin password")
    admin.goto("/admin/mail")
    expect(admin.page.locator("#admin-nav-mail")).to_be_visible()
    row = admin.page.locator(f'[data-message-id="{message["id"]}"]')
    expect(row).to_have_attribute("data-mail-status", "failed")
    expect(row.locator(".mail-error")).to_contain_text("550 5.1.1 Mailbox unavailable")
    admin.snap("admin-mail-failed")
    row.locator(".retry-mail").click()
    admin.page.locator(".retry-mail-confirm").click()
    expect(row).to_have_attribute("data-mail-status", "queued")
    admin.snap("admin-mail-retried")

    [retried] = db.rows("SELECT * FROM outboxmessage WHERE id = :id", id=message["id"])
    assert retried["status"] == "queued" and retried["attempts"] == 0
    audit = db.rows("SELECT * FROM paymentevent WHERE kind = 'mail_retry'")
    assert [(a["actor_user_id"], a["payment_id"]) for a in audit] == [(db.user_id("e2e_admin"), message["payment_id"])]

    assert "sent 1" in admin.send_mail()
    admin.page.click("#mail-refresh")
    expect(row).to_have_attribute("data-mail-status", "sent")
