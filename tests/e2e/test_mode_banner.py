"""Emulator mode says so on every page, after hydration brings the server's mode (the bundle holds none)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e


def test_emulator_mode_shows_the_emulator_banner_and_not_the_sandboxs(journey: Journey) -> None:
    for path in ("/", "/login", "/register"):
        journey.goto(path)
        banner = journey.page.locator("#emulator-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Khalti emulator — no real money moves")
        expect(journey.page.locator("#sandbox-banner")).to_have_count(0)
