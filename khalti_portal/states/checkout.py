"""`/checkout/[plan]`: the order, and the button that sends the tab to Khalti."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace

import reflex as rx

from khalti_portal.accounts import get_profile
from khalti_portal.billing import checkout, page_limits, plans, subscription
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.numbers import format_days, format_rupees
from khalti_portal.reading_preferences import calendar_of
from khalti_portal.routes import checkout_path
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import language_for
from khalti_portal.states.views import PlanCard


def leave_for(url: str) -> rx.event.EventSpec:
    """A full page load of Khalti's page in this tab (the router would keep a same-origin emulator URL in-app)."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


TOO_MANY_CHECKOUTS = N_(
    "You have started several payments in the last few minutes. Please wait ten minutes and try again."
)


@dataclass(frozen=True)
class Order:
    """What the checkout page shows for one plan."""

    card: PlanCard
    renewing: bool
    period_starts: str
    period_ends: str


def _order(user_id: int, slug: str, language: Language = Language.EN) -> Order | None:
    """The plan on sale under `slug` and the period it would buy `user_id` now (dates in their calendar), or None.

    Price, length and dates are written in `language`; the plan's name stays the merchant's own words.
    """
    plan = plans.get_plan(slug)
    if plan is None:
        return None
    window = subscription.next_period_window(user_id, plan.duration_days)
    calendar = calendar_of(user_id)
    starts = (
        translate(language, "now") if not window.renewing else format_moment_or_ad(window.starts_at, calendar, language)
    )
    card = replace(
        PlanCard.of(plan, language.value),
        price=format_rupees(plan.price_paisa, language),
        duration=format_days(plan.duration_days, language),
    )
    return Order(card, window.renewing, starts, format_moment_or_ad(window.ends_at, calendar, language))


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
    async def load(self) -> rx.event.EventSpec | None:
        """Show the order: plan, amount, and the period it buys (from now or from the current expiry)."""
        if not self.is_hydrated:
            return CheckoutState.load
        self.busy, self.error_message, self.reference, self.loaded = False, "", "", False
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        language = await language_for(self)
        order = await asyncio.to_thread(_order, user_id, self._slug(), language)  # database reads off the event loop
        self.found = order is not None
        if order is not None:
            self.card, self.renewing = order.card, order.renewing
            self.period_starts, self.period_ends = order.period_starts, order.period_ends
        self.loaded = True
        return None

    @rx.event
    async def pay(self) -> rx.event.EventSpec | None:
        """First click starts the payment; later clicks while it runs do nothing."""
        if self.busy:
            return None
        if await self._user_id_async() is None:
            return rx.redirect(login_url(self.router.url.path))
        self.busy, self.error_message, self.reference = True, "", ""
        return CheckoutState.start_payment

    @rx.event(background=True)
    async def start_payment(self) -> rx.event.EventSpec | None:
        """Create the payment with Khalti outside the state lock, then send the tab to Khalti."""
        async with self:
            user_id, slug = await self._user_id_async(), self._slug()
            language = await language_for(self)
        if user_id is None:
            async with self:
                self.busy = False
            return rx.redirect(login_url(checkout_path(slug)))
        # Each checkout is an initiate at Khalti: a few per user per 10 minutes, whoever sends the events.
        if not await asyncio.to_thread(page_limits.checkout_allowed, user_id):
            async with self:
                self.busy = False
                self.error_message = translate(language, TOO_MANY_CHECKOUTS)
            return None
        customer = await asyncio.to_thread(get_profile, user_id)
        outcome = await checkout.start_checkout(user_id=user_id, plan_slug=slug, customer=customer)
        async with self:
            if await self._user_id_async() != user_id:
                # Signed out (or someone else signed in) meanwhile: this order is no longer this tab's business.
                self.busy = False
                return None
        if outcome.ok and outcome.payment_url:
            return leave_for(outcome.payment_url)
        async with self:
            self.busy = False
            self.error_message = translate(language, outcome.message)
            self.reference = outcome.purchase_order_id or ""
            self.found = outcome.kind != "plan_not_found"
        return None
