"""Issue 16 in Chromium: after signing out and reloading, nothing of the last person reaches the tab, and a
refund made on Khalti's side (the emulator's control route) revokes access after one reconciler run.

Every websocket frame the tab receives from the sign-out click on is kept, and so is the page after the
reload: neither may contain the user's name, the payment reference (purchase_order_id) or the pidx.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import Journey, parse_db_time
from tests.e2e.server import ADMIN_PASSWORD, ADMIN_USERNAME, VENV_BIN, run_cli

pytestmark = pytest.mark.e2e


@dataclass
class Frames:
    """Websocket frames a page receives, from whenever `start` is called (reconnects included)."""

    received: list[str] = field(default_factory=list)
    recording: bool = False

    def watch(self, page: Page) -> None:
        def on_socket(ws: Any) -> None:
            ws.on("framereceived", self._keep)

        page.on("websocket", on_socket)

    def _keep(self, payload: str | bytes) -> None:
        if self.recording:
            self.received.append(payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace"))

    def start(self) -> None:
        self.received.clear()
        self.recording = True


def sign_out_and_reload(j: Journey, frames: Frames) -> str:
    """Sign out with the navigation button, reload the page it lands on; returns that page's HTML."""
    frames.start()
    j.page.click("#sign-out")
    j.page.wait_for_url(j.url("/"))
    expect(j.page.locator("#nav-sign-in")).to_be_visible()
    j.page.reload()
    j.hydrated()
    expect(j.page.locator("#nav-sign-in")).to_be_visible()
    expect(j.plan_card("basic")).to_be_visible()  # the catalog's own event has run: the tab is in use again
    j.record()
    return j.page.content()


def assert_nothing_of(secrets: dict[str, str], html: str, frames: Frames, page_state: str) -> None:
    """No secret in the page or a frame; and the frames did carry `page_state` (so they could have leaked it)."""
    assert any(page_state in frame for frame in frames.received), f"no frame after signing out carried {page_state}"
    found = [f"page: {what}" for what, value in secrets.items() if value in html]
    for n, frame in enumerate(frames.received):
        found += [f"frame {n}: {what}" for what, value in secrets.items() if value in frame]
    assert not found, "left in the tab after signing out:\n" + "\n".join(found)


def a_subscriber_pays_signs_out_and_reloads(j: Journey, username: str) -> None:
    """Sign up, pay, look at every page, sign out, reload: nothing of them in the page or any frame since."""
    db = j.db
    frames = Frames()
    frames.watch(j.page)
    user_id = j.register(username)
    pidx = j.buy("basic")
    payment = db.payment(pidx)
    assert payment["user_id"] == user_id and payment["status"] == "completed"
    reference = payment["purchase_order_id"]
    j.open_dashboard("active")
    expect(j.page.locator("body")).to_contain_text(reference)  # the tab does hold them now
    j.goto("/profile")
    expect(j.page.locator("#sign-out")).to_be_visible()
    j.goto(f"/payment/return?pidx={pidx}")
    j.expect_return_status("completed")
    j.snap("before-sign-out")

    html = sign_out_and_reload(j, frames)
    j.snap("signed-out-reloaded")

    secrets = {
        "username": username,
        "payment reference": reference,
        "pidx": pidx,
        "transaction": payment["transaction_id"],
    }
    assert_nothing_of(secrets, html, frames, "dashboard____dashboard_state")
    assert username not in j.page.inner_text("body")


def test_a_subscriber_signs_out_and_the_reloaded_tab_holds_nothing_of_them(journey: Journey) -> None:
    a_subscriber_pays_signs_out_and_reloads(journey, "kamala_leaves")


def test_an_admin_who_opened_a_payment_signs_out_and_the_tab_holds_nothing(journey: Journey) -> None:
    db = journey.db
    buyer = journey.another_visitor("buyer")
    try:
        buyer_name = "lila_buys"
        buyer.register(buyer_name)
        pidx = buyer.buy("basic")
        payment = db.payment(pidx)

        admin = journey
        frames = Frames()
        frames.watch(admin.page)
        admin.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
        admin.goto("/admin/payments")
        row = admin.page.locator(f'.admin-payment-row[data-payment-id="{payment["id"]}"]')
        expect(row).to_be_visible()
        row.locator(".payment-open").click()
        expect(admin.page.locator("#payment-detail-pidx")).to_have_text(pidx)
        expect(admin.page.locator("#payment-events")).to_contain_text("completed")
        admin.snap("admin-detail-open")

        html = sign_out_and_reload(admin, frames)
        admin.snap("admin-signed-out-reloaded")

        assert_nothing_of(
            {
                "customer's name": buyer_name,
                "payment reference": payment["purchase_order_id"],
                "pidx": pidx,
                "transaction id": payment["transaction_id"],
                "admin's name": ADMIN_USERNAME,
            },
            html,
            frames,
            "admin_payments____admin_payments_state",
        )
    finally:
        journey.close_others()


def test_a_refund_made_on_the_emulator_revokes_access_after_one_reconciler_run(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("mohan_refunded")
    pidx = j.buy("basic")
    j.open_dashboard("active")
    payment = db.payment(pidx)

    # The merchant refunds in Khalti's own portal: here, the emulator's control route. The portal hears nothing.
    answer = httpx.post(j.url(f"/sandbox/khalti/_control/{pidx}"), json={"status": "Refunded"}, timeout=10.0)
    assert answer.status_code == 200 and answer.json()["status"] == "Refunded", answer.text
    assert db.payment(pidx)["status"] == "completed"
    j.open_dashboard("active")

    # One run of the reconciler, with the refund check's interval cut to one second (its least) and due:
    # the clock must first pass completed_at + 1 s, whatever the speed of the machine got us here.
    completed_at = parse_db_time(payment["completed_at"])
    assert completed_at is not None
    due = completed_at + timedelta(seconds=1)
    while datetime.now(UTC) <= due:
        time.sleep(0.05)
    env = {**j.server.env, "REFUND_CHECK_INTERVAL_SECONDS": "1"}
    done = run_cli([str(VENV_BIN / "python"), "-m", "khalti_portal", "reconcile", "--once"], env)
    assert re.search(r"other changes .*refunded 1", done.stdout), done.stdout + done.stderr
    assert "refund checks" in done.stdout

    refunded = db.payment(pidx)
    assert refunded["status"] == "refunded" and refunded["refunded_paisa"] == payment["amount_paisa"]
    [period] = db.periods(user_id)
    assert period["payment_id"] == payment["id"] and period["revoked_at"] is not None
    assert any(e["source"] == "reconciler" and e["to_status"] == "refunded" for e in db.events(payment["id"]))
    j.open_dashboard("none")
    j.snap("dashboard-after-refund")
