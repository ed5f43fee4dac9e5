"""A receipt in Chromium: bought, opened from the dashboard, checked against the database, downloaded as a PDF."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from khalti_portal.billing.money import format_rupees
from khalti_portal.config import load_settings
from khalti_portal.i18n.dates import format_moment
from tests.e2e.helpers import Journey, parse_db_time
from tests.e2e.server import VENV_BIN, run_cli

pytestmark = pytest.mark.e2e


def pdf_text(path: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF"), data[:20]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def check_document(j: Journey, number: str, total: int, vat: int, period: dict, step: str) -> None:
    expect(j.page.locator("#receipt-number")).to_have_text(number)
    expect(j.page.locator("#receipt-total")).to_have_attribute("data-paisa", str(total))
    expect(j.page.locator("#receipt-vat")).to_have_attribute("data-paisa", str(vat))
    # The buyer chose no calendar: the period reads in the server's DEFAULT_CALENDAR (both, unless set).
    calendar = load_settings(j.server.env).default_calendar
    period_from, period_to = format_moment(period["starts_at"], calendar), format_moment(period["ends_at"], calendar)
    expect(j.page.locator("#receipt-period-from")).to_have_text(period_from)
    expect(j.page.locator("#receipt-period-to")).to_have_text(period_to)
    j.snap(step)
    with j.page.expect_download() as waiting:
        j.page.click("#download-pdf")
    download = waiting.value
    text = pdf_text(download.path())
    assert number in text, text
    assert format_rupees(total).replace("Rs ", "") in text, text
    flat = " ".join(text.split())  # the PDF may wrap a long date
    assert f"Period from {period_from}" in flat and f"Period to {period_to}" in flat, text


def test_a_receipt_opens_from_the_dashboard_and_downloads_as_the_same_pdf(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("ravi_receipts")
    pidx = j.buy("basic")
    payment = db.payment(pidx)
    [period] = db.periods(user_id)
    [invoice] = db.rows("SELECT * FROM invoice WHERE payment_id = :id", id=payment["id"])
    assert invoice["total_paisa"] == payment["amount_paisa"]

    j.open_dashboard("active")
    link = j.page.locator("a.receipt-link").first
    expect(link).to_have_attribute("href", re.compile(re.escape(invoice["slug"])))
    link.click()
    j.page.wait_for_url(re.compile(rf"/receipts/{re.escape(invoice['slug'])}/?$"))
    j.hydrated()
    check_document(j, invoice["number"], invoice["total_paisa"], invoice["vat_paisa"], period, "receipt")

    # Another person opening the same address learns nothing.
    other = j.another_visitor("stranger")
    other.register("sam_stranger")
    other.goto(f"/receipts/{invoice['slug']}")
    expect(other.page.locator("#not-found")).to_be_visible()
    expect(other.page.locator("#receipt-number")).to_have_count(0)
    j.close_others()

    # Refunded on Khalti's side, applied by one reconciler run: a credit note that names the invoice.
    answer = httpx.post(j.url(f"/sandbox/khalti/_control/{pidx}"), json={"status": "Refunded"}, timeout=10.0)
    assert answer.status_code == 200, answer.text
    # The refund check's interval cut to one second (its least): the clock must first pass completed_at + 1 s.
    due = parse_db_time(payment["completed_at"]) + timedelta(seconds=1)
    while datetime.now(UTC) <= due:
        time.sleep(0.05)
    env = {**j.server.env, "REFUND_CHECK_INTERVAL_SECONDS": "1"}
    done = run_cli([str(VENV_BIN / "python"), "-m", "khalti_portal", "reconcile", "--once"], env)
    assert re.search(r"other changes .*refunded 1", done.stdout), done.stdout + done.stderr
    [note] = db.rows("SELECT * FROM invoice WHERE payment_id = :id AND kind = 'credit_note'", id=payment["id"])
    assert note["reverses_number"] == invoice["number"] and note["number"].startswith("TEST-CN-")

    j.goto(f"/receipts/{note['slug']}")
    check_document(j, note["number"], note["total_paisa"], note["vat_paisa"], period, "credit-note")
    expect(j.page.locator("body")).to_contain_text(invoice["number"])  # the invoice it reverses
