"""The whole journey by keyboard alone: sign up, buy a plan on the emulator, reach the dashboard; dialogs trap focus.

Only `page.keyboard` moves and presses: Tab to a control (each stop on the way must show a focus ring), Enter
or Space to use it, typing into fields. Nothing is clicked and no field is filled by selector.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.a11y import focus_ring
from tests.e2e.helpers import PASSWORD, PAY_TIMEOUT_MS, TEST_KHALTI_ID, TEST_MPIN, TEST_OTP, Journey
from tests.e2e.server import ADMIN_PASSWORD, ADMIN_USERNAME

pytestmark = pytest.mark.e2e

MAX_TABS = 60  # more stops than any page has before the control a journey needs


def tab_to(page: Page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `selector` has the focus; every element on the way shows a focus ring."""
    key = "Shift+Tab" if backwards else "Tab"
    seen: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        focused = focus_ring(page)
        seen.append(f"{focused['tag']}#{focused.get('id', '')} {focused.get('text', '')!r}")
        if focused["tag"] != "BODY":
            assert focused["ring"] and focused["focusVisible"], f"no visible focus ring on {seen[-1]}"
            assert focused["inView"], f"the focused element is off screen: {seen[-1]}"
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} not reached in {MAX_TABS} presses of {key}; focus went: {seen}")


def type_into(page: Page, selector: str, text: str) -> None:
    """Tab to a field and type."""
    tab_to(page, selector)
    page.keyboard.type(text)


def test_a_visitor_signs_up_buys_a_plan_and_reaches_the_dashboard_by_keyboard(journey: Journey) -> None:
    j, db = journey, journey.db
    page = j.page
    j.goto("/")
    expect(j.plan_card("basic")).to_be_visible()

    # The first stop is the skip link; it takes the focus past the navigation to the page's own content.
    tab_to(page, "#skip-link")
    j.snap("kb-skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    tab_to(page, "#nav-register", backwards=True)  # back up into the navigation, which comes before the content
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/register/?$"))
    j.hydrated()

    type_into(page, "#username", "kiran_keyboard")
    type_into(page, "#email", "kiran_keyboard@example.com")
    type_into(page, "#password", PASSWORD)
    type_into(page, "#confirm_password", PASSWORD)
    j.snap("kb-register-form")
    page.keyboard.press("Enter")  # submits the form from its last field
    page.wait_for_url(re.compile(r"/dashboard"))
    expect(page.locator("#subscription-status")).to_have_attribute("data-status", "none")
    user_id = db.user_id("kiran_keyboard")

    tab_to(page, "#renew")  # "Choose a plan"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    expect(j.plan_card("basic")).to_be_visible()
    tab_to(page, '[data-plan-slug="basic"] a.subscribe')
    j.snap("kb-subscribe-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/checkout/basic/?$"))
    expect(page.locator("#pay-with-khalti")).to_be_enabled()
    tab_to(page, "#pay-with-khalti")
    j.snap("kb-pay-focused")
    page.keyboard.press("Enter")

    # Khalti's hosted page (the emulator): plain HTML forms, Enter sends them with their first button.
    page.wait_for_url(re.compile(r"/sandbox/khalti/pay/\?pidx="), timeout=PAY_TIMEOUT_MS)
    type_into(page, "#khalti-id", TEST_KHALTI_ID)
    type_into(page, "#mpin", TEST_MPIN)
    page.keyboard.press("Enter")
    expect(page.locator("#otp")).to_be_visible()
    type_into(page, "#otp", TEST_OTP)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/payment/return/?\?"), timeout=PAY_TIMEOUT_MS)
    j.hydrated()
    j.expect_return_status("completed")

    tab_to(page, "#to-dashboard")
    j.snap("kb-return-completed")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#subscription-status")).to_have_attribute("data-status", "active")
    j.snap("kb-dashboard-active")

    [payment] = db.payments(user_id)
    assert payment["status"] == "completed"
    assert [p["payment_id"] for p in db.periods(user_id)] == [payment["id"]]


def test_a_dialog_keeps_the_focus_inside_and_gives_it_back_to_its_button(journey: Journey) -> None:
    j = journey
    page = j.page
    j.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    j.goto("/admin/plans")
    expect(page.locator("#admin-plans")).to_be_visible()
    trigger = page.locator(".plan-delete:not([disabled])").first
    trigger_id = trigger.get_attribute("id")
    tab_to(page, f"#{trigger_id}")
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    inside = "el => el.closest('[role=dialog]') !== null"
    assert page.evaluate(f"({inside})(document.activeElement)"), "the dialog did not take the focus"
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:  # round and round: the focus never leaves the dialog
        page.keyboard.press(key)
        focused = focus_ring(page)
        assert page.evaluate(f"({inside})(document.activeElement)"), f"{key} left the dialog for {focused}"
        assert focused["ring"], f"no focus ring in the dialog on {focused}"
    j.snap("kb-dialog-open")

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator(f"#{trigger_id}")).to_be_focused()

    # Cancel, pressed with the keyboard, closes it the same way.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    tab_to(page, "[role=dialog] .dialog-cancel")  # "Keep it"
    page.keyboard.press("Space")
    expect(dialog).to_have_count(0)
    expect(page.locator(f"#{trigger_id}")).to_be_focused()
