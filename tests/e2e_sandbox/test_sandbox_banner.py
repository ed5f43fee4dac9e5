"""Sandbox mode says so on every page: `#sandbox-banner`, never the emulator's, and no emulator mounted."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import Server
from tests.e2e_sandbox.conftest import SANDBOX_KEY

pytestmark = pytest.mark.e2e

PAGES = ("/", "/login", "/register", "/payment/return?pidx=unknown")


def test_every_page_shows_the_sandbox_banner_and_not_the_emulators(page: Page, sandbox_server: Server) -> None:
    for path in PAGES:
        page.goto(path)
        banner = page.locator("#sandbox-banner")
        expect(banner).to_be_visible()  # arrives with hydration: the bundle itself holds no mode
        expect(banner).to_contain_text("Khalti sandbox")
        expect(banner).to_contain_text("no real money moves")
        expect(page.locator("#emulator-banner")).to_have_count(0)
        assert SANDBOX_KEY not in page.content()


def test_the_emulator_is_not_mounted_in_sandbox_mode(sandbox_server: Server) -> None:
    for path in ("/sandbox/khalti/_control/stats", "/sandbox/khalti/pay/?pidx=x"):
        assert httpx.get(sandbox_server.url + path, timeout=10).status_code == 404
