"""Helpers for tests that drive the emulator over HTTP, as a browser and a test harness would.

    page = HostedPage(client)                     # any httpx.AsyncClient reaching the emulator
    location = await page.complete(payment_url)   # Khalti ID + MPIN, OTP, pay → the return redirect
    location = await page.cancel(payment_url)

Its clock, `ManualClock`, is in `tests/clocks.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from khalti_portal.sandbox.templates import TEST_IDS, TEST_MPIN, TEST_OTP

_TOKEN = re.compile(r'name="token" value="([^"]+)"')


def pidx_of(payment_url: str) -> str:
    """The pidx in a `payment_url`."""
    return parse_qs(urlsplit(payment_url).query)["pidx"][0]


def redirect_params(location: str) -> dict[str, str]:
    """The return redirect's query as a dict, empty values kept."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


@dataclass
class HostedPage:
    """The hosted checkout page, driven with form posts like a browser (redirects not followed)."""

    client: httpx.AsyncClient

    async def open(self, payment_url: str) -> httpx.Response:
        """GET the page."""
        return await self.client.get(payment_url)

    async def submit(self, payment_url: str, **fields: Any) -> httpx.Response:
        """POST the page's form with `fields` (`pidx` filled in)."""
        data = {"pidx": pidx_of(payment_url), **fields}
        return await self.client.post(payment_url, data=data, follow_redirects=False)

    async def login(
        self, payment_url: str, *, khalti_id: str = TEST_IDS[0], mpin: str = TEST_MPIN
    ) -> tuple[httpx.Response, str | None]:
        """Step 1; returns the response and the OTP-step token (None when refused)."""
        response = await self.submit(payment_url, action="login", khalti_id=khalti_id, mpin=mpin)
        found = _TOKEN.search(response.text)
        return response, found.group(1) if found else None

    async def pay(self, payment_url: str, token: str, *, otp: str = TEST_OTP) -> httpx.Response:
        """Step 2: the OTP and the `#pay` button."""
        return await self.submit(payment_url, action="pay", token=token, otp=otp)

    async def complete(self, payment_url: str, *, khalti_id: str = TEST_IDS[0]) -> str:
        """Pay with a test account; returns the return redirect's Location (raises if refused)."""
        response, token = await self.login(payment_url, khalti_id=khalti_id)
        if token is None:
            raise AssertionError(f"login refused: HTTP {response.status_code}")
        response = await self.pay(payment_url, token)
        if response.status_code != 303:
            raise AssertionError(f"pay refused: HTTP {response.status_code}")
        return response.headers["location"]

    async def cancel(self, payment_url: str) -> str:
        """Press `#cancel`; returns the return redirect's Location (raises if refused)."""
        response = await self.submit(payment_url, action="cancel")
        if response.status_code != 303:
            raise AssertionError(f"cancel refused: HTTP {response.status_code}")
        return response.headers["location"]
