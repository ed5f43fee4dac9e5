"""The subscriber and admin journeys in Chromium, against the production build, checked on screen and in the DB.

Journeys run in file order; the renewal reuses the account the first journey created.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.helpers import STATUS_TIMEOUT_MS, Journey, iso_z, nepal_text, pidx_of

pytestmark = pytest.mark.e2e

BASIC_PRICE_PAISA = 49_900
BASIC_DAYS = 30


@pytest.fixture(scope="module")
def first_subscriber() -> dict[str, Any]:
    """What the first journey leaves for the renewal: the username and the expiry it bought."""
    return {}


def _expiry_on_screen(j: Journey) -> tuple[str, str]:
    expiry = j.page.locator("#subscription-expiry")
    expect(expiry).to_have_attribute("data-expires-at", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    return expiry.get_attribute("data-expires-at") or "", expiry.inner_text().strip()


def test_new_visitor_signs_up_and_subscribes(journey: Journey, first_subscriber: dict[str, Any]) -> None:
    j, db = journey, journey.db
    user_id = j.register("asha_sharma", snap=True)
    expect(j.page.locator("#subscription-status")).to_have_attribute("data-status", "none")
    j.snap("dashboard-new-account")

    before = datetime.now(UTC)
    pidx = j.buy("basic", snap=True)
    after = datetime.now(UTC)

    payment = db.payment(pidx)
    assert payment["user_id"] == user_id
    assert payment["status"] == "completed"
    assert payment["amount_paisa"] == BASIC_PRICE_PAISA
    assert payment["transaction_id"]
    periods = db.periods(user_id)
    assert len(periods) == 1 and periods[0]["payment_id"] == payment["id"]
    ends_at = periods[0]["ends_at"]
    assert before + timedelta(days=BASIC_DAYS) - timedelta(minutes=1) <= ends_at
    assert ends_at <= after + timedelta(days=BASIC_DAYS) + timedelta(minutes=1)
    # No calendar chosen: the e2e server's default, both (BS with AD in brackets).
    expect(j.page.locator("#return-expiry")).to_contain_text(nepal_text(ends_at))

    j.open_dashboard("active")
    expires_at, shown = _expiry_on_screen(j)
    assert expires_at == iso_z(ends_at)
    assert shown.endswith("NPT")
    assert shown == nepal_text(ends_at)
    j.snap("dashboard-active")
    first_subscriber.update(username="asha_sharma", user_id=user_id, expires_at=ends_at)


def test_subscriber_renews_early_and_keeps_every_day(journey: Journey, first_subscriber: dict[str, Any]) -> None:
    if not first_subscriber:
        pytest.fail("needs the account of test_new_visitor_signs_up_and_subscribes (run the whole file)")
    j, db = journey, journey.db
    user_id = first_subscriber["user_id"]
    j.sign_in(first_subscriber["username"])
    j.open_dashboard("active")
    old_iso, _ = _expiry_on_screen(j)
    old_end = first_subscriber["expires_at"]
    assert old_iso == iso_z(old_end)

    j.page.click("#renew")
    j.page.wait_for_url(re.compile(r"/checkout/basic$"))
    expect(j.page.locator("#pay-with-khalti")).to_be_enabled()
    expect(j.page.locator("#order-starts")).to_have_text(nepal_text(old_end))
    expect(j.page.locator("#order-ends")).to_have_text(nepal_text(old_end + timedelta(days=BASIC_DAYS)))
    pidx = j.pay_with_khalti(snap=True)
    j.khalti_sign_in()
    j.khalti_pay()
    j.expect_return_status("completed")
    j.snap("return-completed")

    payment = db.payment(pidx)
    assert payment["status"] == "completed"
    periods = db.periods(user_id)
    assert len(periods) == 2
    renewal = next(p for p in periods if p["payment_id"] == payment["id"])
    assert renewal["starts_at"] == old_end, "an early renewal starts when the current access ends"
    assert renewal["ends_at"] == old_end + timedelta(days=BASIC_DAYS)

    j.open_dashboard("active")
    new_iso, shown = _expiry_on_screen(j)
    assert new_iso == iso_z(old_end + timedelta(days=BASIC_DAYS))
    assert datetime.fromisoformat(new_iso) - datetime.fromisoformat(old_iso) == timedelta(days=BASIC_DAYS)
    assert shown == nepal_text(renewal["ends_at"])
    expect(j.page.locator("#upcoming-periods")).to_be_visible()
    j.snap("dashboard-renewed")


def test_cancel_on_khalti_grants_nothing(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("bikash_cancels")
    j.open_checkout_from_catalog("basic")
    pidx = j.pay_with_khalti()
    j.snap("khalti-before-cancel")
    j.page.click("#cancel")
    j.page.wait_for_url(re.compile(r"/payment/return/?\?"))
    j.hydrated()
    j.expect_return_status("canceled")
    j.snap("return-canceled")

    assert db.payment(pidx)["status"] == "canceled"
    assert db.periods(user_id) == []
    j.open_dashboard("none")


def test_forged_return_url_grants_nothing(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("chandra_forges")
    j.open_checkout_from_catalog("basic")
    pidx = j.pay_with_khalti()  # ...and never pays
    assert db.payment(pidx)["status"] == "pending"

    forged = (
        f"/payment/return?pidx={pidx}&status=Completed&transaction_id=X"
        f"&amount={BASIC_PRICE_PAISA}&total_amount={BASIC_PRICE_PAISA}"
    )
    j.goto(forged)
    j.expect_return_status("pending")
    expect(j.page.locator("#payment-status")).not_to_have_attribute("data-status", "completed")
    j.snap("return-forged")

    payment = db.payment(pidx)
    assert payment["status"] == "pending"
    assert payment["transaction_id"] in (None, "")
    assert db.periods(user_id) == []
    lookups = [e for e in db.events(payment["id"]) if e["source"] == "return"]
    assert lookups, "the return page asked Khalti (a lookup event) instead of trusting the URL"
    j.open_dashboard("none")


def test_paid_then_tab_closed_the_reconciler_applies_it(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("deepa_closes_tab")
    j.open_checkout_from_catalog("basic")
    pidx = j.pay_with_khalti()
    j.khalti_sign_in()
    # The tab "closes" as Khalti sends it back: the pay form is sent to the emulator for real, but its
    # 303 to the return page is not followed (a route only sees the first request of a redirect chain,
    # so the POST itself is intercepted and answered with a blank page).
    redirect: dict[str, Any] = {}

    def pay_without_coming_back(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        redirect.update(status=answer.status, location=answer.headers.get("location", ""))
        route.fulfill(status=200, content_type="text/html", body="<title>closed</title><p id=closed>tab closed</p>")

    j.page.route(re.compile(r"/sandbox/khalti/pay/"), pay_without_coming_back)
    j.page.fill("#otp", "987654")
    j.page.click("#pay")
    expect(j.page.locator("#closed")).to_be_visible()
    assert redirect["status"] == 303, redirect
    assert "/payment/return" in redirect["location"] and "status=Completed" in redirect["location"], redirect
    j.page.close()

    assert db.payment(pidx)["status"] == "pending", "nothing but the reconciler may have seen this payment"
    assert db.periods(user_id) == []

    done = j.server.python("-m", "khalti_portal", "reconcile", "--once")
    assert "completed 1" in done.stdout, done.stdout + done.stderr

    payment = db.payment(pidx)
    assert payment["status"] == "completed"
    assert [p["payment_id"] for p in db.periods(user_id)] == [payment["id"]]
    assert any(e["source"] == "reconciler" and e["to_status"] == "completed" for e in db.events(payment["id"]))

    j.page = j.context.new_page()
    j.open_dashboard("active")
    j.snap("dashboard-after-reconcile")


def _same_page(a: str, b: str) -> bool:
    """Same path (give or take the trailing slash the router adds) and the same query parameters."""
    pa, pb = urlsplit(a), urlsplit(b)
    return pa.path.rstrip("/") == pb.path.rstrip("/") and parse_qs(pa.query) == parse_qs(pb.query)


def test_session_expired_while_paying(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("esha_session_ends")
    j.open_checkout_from_catalog("basic")
    pidx = j.pay_with_khalti()
    assert db.end_sessions(user_id) >= 1  # the sign-in session ends while the payer is on Khalti's page
    j.khalti_sign_in()
    j.khalti_pay()
    return_url = j.page.url

    sign_in_link = j.page.locator("#return-sign-in")
    expect(sign_in_link).to_be_visible(timeout=STATUS_TIMEOUT_MS)
    expect(j.page.locator("#sign-out")).to_have_count(0)
    j.snap("return-signed-out")

    # The payment is applied to its owner even though nobody is signed in to see it.
    payment = db.eventually(lambda: (p := db.payment(pidx))["status"] == "completed" and p, "payment completed")
    assert [p["payment_id"] for p in db.periods(user_id)] == [payment["id"]]
    completed_at = next(e["created_at"] for e in db.events(payment["id"]) if e["to_status"] == "completed")
    signing_in_at = datetime.now(UTC)

    sign_in_link.click()
    j.page.wait_for_url(re.compile(r"/login\?next="))
    next_target = unquote(parse_qs(urlsplit(j.page.url).query)["next"][0])
    assert _same_page(next_target, return_url), (next_target, return_url)
    j.snap("login-to-return")
    j.submit_sign_in("esha_session_ends")
    j.page.wait_for_url(lambda url: _same_page(url, return_url))
    assert pidx_of(j.page.url) == pidx
    j.expect_return_status("completed")
    j.snap("return-after-sign-in")
    assert completed_at < signing_in_at, "the signed-out return page applied the payment, not the later visit"
    assert len(db.periods(user_id)) == 1

    j.open_dashboard("active")


def test_admin_manages_a_plan_a_subscriber_buys_it(journey: Journey) -> None:
    admin, db = journey, journey.db
    slug = "e2e-gold"
    try:
        # The admin signs in, sees the admin link, creates a plan.
        admin.sign_in("e2e_admin", "e2e admin password")
        expect(admin.page.locator("#nav-admin")).to_be_visible()
        admin.page.click("#nav-admin")
        admin.page.wait_for_url(re.compile(r"/admin/plans$"))
        expect(admin.page.locator("#admin-plans")).to_be_visible()
        expect(admin.page.locator("#plan-save")).to_be_visible()
        admin.snap("admin-plans")
        admin.page.fill("#plan-name", "E2E Gold")
        admin.page.fill("#plan-slug", slug)
        admin.page.fill("#plan-price", "1,299.50")
        admin.page.fill("#plan-duration", "45")
        admin.page.fill("#plan-sort-order", "5")
        admin.page.fill("#plan-features", "Gold support\nForty-five days of access")
        admin.page.fill("#plan-description", "Made by the browser test.")
        admin.snap("admin-new-plan-form")
        admin.page.click("#plan-save")
        expect(admin.page.locator("#admin-notice")).to_contain_text("Created E2E Gold")
        row = admin.page.locator(f'#admin-plans [data-plan-slug="{slug}"]')
        expect(row).to_have_attribute("data-active", "true")
        expect(row.locator(".plan-price")).to_have_text("Rs 1,299.50")
        admin.snap("admin-plan-created")
        plan = db.plan(slug)
        assert plan is not None
        assert (plan["name"], plan["price_paisa"], plan["duration_days"], plan["is_active"]) == (
            "E2E Gold",
            129_950,
            45,
            1,
        )

        admin.goto("/")
        card = admin.plan_card(slug)
        expect(card).to_be_visible()
        expect(card.locator(".plan-price")).to_have_text("Rs 1,299.50")

        # A subscriber buys it.
        buyer = admin.another_visitor("subscriber")
        buyer_id = buyer.register("farhan_gold")
        started = datetime.now(UTC)
        pidx = buyer.buy(slug)
        payment = db.payment(pidx)
        assert (payment["status"], payment["amount_paisa"], payment["plan_id"]) == ("completed", 129_950, plan["id"])
        ends = db.periods(buyer_id)[0]["ends_at"]
        assert abs(ends - (started + timedelta(days=45))) < timedelta(minutes=1)
        buyer.open_dashboard("active")
        buyer.snap("dashboard-gold")

        # The admin changes the price: the old payment keeps what was paid.
        admin.goto("/admin/plans")
        admin.page.click(f"#plan-edit-{slug}")
        expect(admin.page.locator("#plan-form-title")).to_have_text("Edit E2E Gold")
        expect(admin.page.locator("#plan-price")).to_have_value(re.compile(r"^1,?299\.50$"))
        admin.page.fill("#plan-price", "1,499")
        admin.snap("admin-edit-price")
        admin.page.click("#plan-save")
        expect(admin.page.locator("#admin-notice")).to_contain_text("Saved E2E Gold")
        expect(row.locator(".plan-price")).to_have_text("Rs 1,499")
        assert db.plan(slug)["price_paisa"] == 149_900
        assert db.payment(pidx)["amount_paisa"] == 129_950
        admin.goto("/")
        expect(admin.plan_card(slug).locator(".plan-price")).to_have_text("Rs 1,499")

        # Archived: off sale, gone from the catalog; the subscriber keeps the access.
        admin.goto("/admin/plans")
        admin.page.click(f"#plan-archive-{slug}")
        expect(admin.page.locator("#admin-notice")).to_contain_text("Archived E2E Gold")
        expect(row).to_have_attribute("data-active", "false")
        admin.snap("admin-plan-archived")
        assert db.plan(slug)["is_active"] == 0
        admin.goto("/")
        expect(admin.plan_card("basic")).to_be_visible()
        expect(admin.plan_card(slug)).to_have_count(0)
        admin.snap("catalog-after-archive")
        buyer.goto(f"/checkout/{slug}")
        expect(buyer.page.locator("#not-found")).to_be_visible()
        buyer.open_dashboard("active")

        # A non-admin is sent away from the admin page and never sees the admin link.
        buyer.goto("/admin/plans")
        buyer.page.wait_for_url(admin.url("/"))
        buyer.hydrated()
        expect(buyer.plan_card("basic")).to_be_visible()
        expect(buyer.page.locator("#sign-out")).to_be_visible()
        expect(buyer.page.locator("#nav-admin")).to_have_count(0)
        buyer.snap("non-admin-sent-to-catalog")
    finally:
        admin.close_others()


def test_admin_gives_access_by_hand_and_the_figures_count_it(journey: Journey) -> None:
    admin, db = journey, journey.db
    try:
        subscriber = admin.another_visitor("subscriber")
        user_id = subscriber.register("nima_by_hand")
        subscriber.open_dashboard("none")

        # The form is its own state (AdminAccessState) below the payments page's: one click changes both.
        admin.sign_in("e2e_admin", "e2e admin password")
        admin.goto("/admin/payments")
        active = admin.page.locator("#figure-active .figure-value")
        expect(active).to_have_text(re.compile(r"^\d+$"))
        before = int(active.inner_text())
        admin.page.fill("#manual-user", "nima_by_hand")
        admin.page.fill("#manual-days", "10")
        admin.page.fill("#manual-reason", "a partner's account")
        admin.page.click("#manual-submit")
        expect(admin.page.locator("#manual-notice")).to_contain_text("Granted nima_by_hand's access by 10 days")
        expect(active).to_have_text(str(before + 1))
        expect(admin.page.locator("#manual-user")).to_have_value("")  # the form starts again, empty
        admin.snap("admin-access-by-hand")
        [period] = db.periods(user_id)
        assert period["payment_id"] is None and period["granted_by"] == db.user_id("e2e_admin")
        assert period["ends_at"] - period["starts_at"] == timedelta(days=10)

        subscriber.open_dashboard("active")
    finally:
        admin.close_others()
