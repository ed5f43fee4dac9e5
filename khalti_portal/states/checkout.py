"""`/checkout/[plan]`: the order, and the button that sends the tab to Khalti."""

from __future__ import annotations

import json

import reflex as rx

from khalti_portal.accounts import customer_info
from khalti_portal.billing import checkout, plans, subscription
from khalti_portal.billing.nepal_time import format_nepal
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.views import PlanCard


def leave_for(url: str) -> rx.event.EventSpec:
    """A full page load of Khalti's page in this tab (the router would keep a same-origin emulator URL in-app)."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


class CheckoutState(AuthState):
    """One plan's order page; the payment itself is made in a background task."""

    card: PlanCard = PlanCard()
    found: bool = True
    loaded: bool = False
    renewing: bool = False
    period_starts: str = ""
    period_ends: str = ""
    busy: bool = False
    error_message: str = ""
    reference: str = ""

    def _slug(self) -> str:
        # The dynamic segment, read from the URL on the server; never a price or an id from the client.
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1][:64]

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Show the order: plan, amount, and the period it buys (from now or from the current expiry)."""
        if not self.is_hydrated:
            return CheckoutState.load
        self.busy, self.error_message, self.reference, self.loaded = False, "", "", False
        user_id = self._user_id()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        plan = plans.get_plan(self._slug())
        self.found = plan is not None
        if plan is not None:
            self.card = PlanCard.of(plan)
            window = subscription.next_period_window(user_id, plan.duration_days)
            self.renewing = window.renewing
            self.period_starts = "now" if not window.renewing else format_nepal(window.starts_at)
            self.period_ends = format_nepal(window.ends_at)
        self.loaded = True
        return None

    @rx.event
    def pay(self) -> rx.event.EventSpec | None:
        """First click starts the payment; later clicks while it runs do nothing."""
        if self.busy:
            return None
        if self._user_id() is None:
            return rx.redirect(login_url(self.router.url.path))
        self.busy, self.error_message, self.reference = True, "", ""
        return CheckoutState.start_payment

    @rx.event(background=True)
    async def start_payment(self) -> rx.event.EventSpec | None:
        """Create the payment with Khalti outside the state lock, then send the tab to Khalti."""
        async with self:
            user_id, slug = self._user_id(), self._slug()
        if user_id is None:
            async with self:
                self.busy = False
            return rx.redirect(login_url(f"/checkout/{slug}"))
        outcome = await checkout.start_checkout(user_id=user_id, plan_slug=slug, customer=customer_info(user_id))
        async with self:
            if self._user_id() != user_id:
                # Signed out (or someone else signed in) meanwhile: this order is no longer this tab's business.
                self.busy = False
                return None
        if outcome.ok and outcome.payment_url:
            return leave_for(outcome.payment_url)
        async with self:
            self.busy = False
            self.error_message = outcome.message
            self.reference = outcome.purchase_order_id or ""
            self.found = outcome.kind != "plan_not_found"
        return None
