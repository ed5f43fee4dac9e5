"""`/payment/return`: Khalti sends the browser here; only a server-side lookup decides anything."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta

import reflex as rx

from khalti_portal.billing.page_limits import claim_recheck_loop, verify_from_page
from khalti_portal.billing.verification import VerifyOutcome
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.reading_preferences import calendar_of
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import language_for

PIDX_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FIRST_RECHECK_SECONDS = 2.0
MAX_RECHECK_SECONDS = 30.0
RECHECK_FOR_SECONDS = 300.0


class PaymentReturnState(AuthState):
    """The outcome of one payment, shown only to its owner."""

    status: str = "verifying"
    signed_out: bool = False
    sign_in_href: str = ""
    reference: str = ""
    khalti_unreachable: bool = False
    expires_display: str = ""

    def _pidx(self) -> str:
        # Only pidx is read from the query: status, amount and the rest can be forged.
        pidx = self.router.url.query_parameters.get("pidx", "")
        return pidx if isinstance(pidx, str) and PIDX_RE.fullmatch(pidx) else ""

    @rx.event
    def load(self) -> rx.event.EventSpec:
        """Start verifying whatever pidx came back, whoever opened the page (`verify` asks who that is)."""
        if not self.is_hydrated:
            return PaymentReturnState.load
        self.status, self.reference, self.khalti_unreachable, self.expires_display = "verifying", "", False, ""
        return PaymentReturnState.verify

    @rx.event(background=True)
    async def verify(self) -> None:
        """Verify now; while Khalti says pending, one loop per payment checks again at 2 s doubling to 30 s, for 5 min.

        Any client may fire this at will: lookups go through `verify_from_page` (coalesced, at most one per
        10 s per payment) and only the payment's owner, in one tab at a time, gets the re-check loop.
        """
        async with self:
            pidx, token, viewer = self._pidx(), self.session_token, await self._user_id_async()
            # Whether to offer sign-in is known before Khalti answers: shown at once. Assigned only when it
            # changes: an assignment is an update sent, and a signed-in return visit needs none.
            query = self.router.url.query
            here = self.router.url.path + (f"?{query}" if query else "")
            offer = (True, login_url(here)) if viewer is None else (False, "")
            if (self.signed_out, self.sign_in_href) != offer:
                self.signed_out, self.sign_in_href = offer
            if not pidx:
                self.status = "not_found"
                return
        outcome = await verify_from_page(pidx, source="return")
        if not await self._show(pidx, token, viewer, outcome) or outcome.status != "pending":
            return
        async with claim_recheck_loop(pidx, timedelta(seconds=RECHECK_FOR_SECONDS + MAX_RECHECK_SECONDS)) as mine:
            if mine:
                await self._recheck(pidx, token, viewer)

    async def _recheck(self, pidx: str, token: str, viewer: int | None) -> None:
        delay, deadline = FIRST_RECHECK_SECONDS, time.monotonic() + RECHECK_FOR_SECONDS
        while time.monotonic() + delay <= deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RECHECK_SECONDS)
            outcome = await verify_from_page(pidx, source="return", rate_limited=False)
            if not await self._show(pidx, token, viewer, outcome) or outcome.status != "pending":
                return

    async def _show(self, pidx: str, token: str, viewer: int | None, outcome: VerifyOutcome) -> bool:
        """Show the outcome to its owner (others see nothing of it); False when this tab should stop."""
        # Applied to the payment's owner even when the viewer is someone else or nobody.
        mine = viewer is not None and outcome.user_id == viewer
        ends = outcome.period_ends_at if mine else None
        # The owner's calendar, read only when there is an expiry to show (once a payment completes, not per poll).
        calendar = await asyncio.to_thread(calendar_of, viewer) if ends else None
        async with self:
            # Signing in or out replaces the tab's token (`AuthState._login`, `sign_out`): the same token is
            # the same viewer as a moment ago, with no second session look-up.
            if self._pidx() != pidx or self.session_token != token:
                return False  # the person has moved on to another payment, or signed in or out meanwhile
            self.status = outcome.status if mine else ("verifying" if viewer is None else "not_found")
            self.khalti_unreachable = mine and outcome.kind == "unavailable"
            self.reference = outcome.purchase_order_id or "" if mine else ""
            language = await language_for(self)
            self.expires_display = format_moment_or_ad(ends, calendar, language) if ends and calendar else ""
        return mine
