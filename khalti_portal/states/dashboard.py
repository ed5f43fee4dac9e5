"""`/dashboard`: the subscriber's expiry, a reminder near the end, a timeline, later periods, payments, renew."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import reflex as rx

from khalti_portal.billing import reminders, subscription
from khalti_portal.billing.page_limits import verify_from_page
from khalti_portal.billing.subscription import SubscriptionStatus
from khalti_portal.i18n.catalogs import Language, translate_plural
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.numbers import format_number, format_rupees
from khalti_portal.reading_preferences import calendar_of
from khalti_portal.routes import CATALOG_ROUTE, checkout_path, receipt_path
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import language_for
from khalti_portal.states.timeline_views import TimelineView, access_timeline
from khalti_portal.states.views import PaymentRow, PeriodRow

# The timeline shows paid time a subscriber still has (or, in grace, has just had): none once access is over.
WITH_TIMELINE = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRING, SubscriptionStatus.GRACE})


@dataclass(frozen=True)
class DashboardView:
    """Everything the dashboard shows, read in one go (in a worker thread)."""

    status: str
    plan_name: str
    expires_iso: str
    expires_display: str
    days_left: int
    days_left_text: str  # "3 days left", its digits in the reader's language
    renew_href: str
    upcoming: list[PeriodRow]
    payments: list[PaymentRow]
    has_pending: bool
    reminder_stage: str  # the renewal reminder's stage (`d7` ... `grace_ended`), "" while none is open
    reminder_text: str
    timeline: TimelineView


def dashboard_view(user_id: int, language: Language = Language.EN) -> DashboardView:
    """Read the user's subscription, later periods and payment history; every date in the user's calendar.

    Dates, amounts and the reminder are written in `language`; plan names stay the merchant's words.
    """
    calendar = calendar_of(user_id)  # one look-up for the whole page, whatever the number of rows
    now_summary = subscription.summary(user_id)
    with_timeline = now_summary.status in WITH_TIMELINE
    slug = subscription.current_plan_slug(user_id)
    banner = reminders.reminder_banner(user_id, calendar=calendar, language=language)
    expires_at = now_summary.expires_at
    return DashboardView(
        status=now_summary.status.value,
        plan_name=now_summary.plan_name or "",
        expires_iso=now_summary.expires_at_iso or "",
        expires_display=format_moment_or_ad(expires_at, calendar, language) if expires_at else "",
        days_left=now_summary.days_left,
        days_left_text=translate_plural(
            language,
            "{n} day left",
            "{n} days left",
            now_summary.days_left,
            n=format_number(now_summary.days_left, language),
        ),
        renew_href=checkout_path(slug) if slug else CATALOG_ROUTE,
        upcoming=[
            PeriodRow(
                p.plan_name,
                format_moment_or_ad(p.starts_at, calendar, language),
                format_moment_or_ad(p.ends_at, calendar, language),
            )
            for p in now_summary.upcoming
        ],
        payments=[
            PaymentRow(
                date=format_moment_or_ad(r.date, calendar, language),
                plan_name=r.plan_name,
                amount=format_rupees(r.amount_paisa, language),
                status=r.status,
                transaction_id=r.transaction_id or "",
                reference=r.purchase_order_id,
                receipt_href=receipt_path(r.invoice_slug) if r.invoice_slug else "",
            )
            for r in subscription.history(user_id)
        ],
        has_pending=bool(subscription.pending_pidxs(user_id)),
        reminder_stage=banner.stage if banner else "",
        reminder_text=banner.text if banner else "",
        timeline=(
            access_timeline(now_summary.current, now_summary.upcoming, now_summary.at, calendar, language)
            if with_timeline and now_summary.at is not None
            else TimelineView()
        ),
    )


class DashboardState(AuthState):
    """The signed-in subscriber's own subscription, nobody else's."""

    loaded: bool = False
    status: str = "none"
    plan_name: str = ""
    expires_display: str = ""
    expires_iso: str = ""
    days_left: int = 0
    days_left_text: str = ""
    renew_href: str = CATALOG_ROUTE
    upcoming: list[PeriodRow] = []
    payments: list[PaymentRow] = []
    rechecking: bool = False
    reminder_stage: str = ""
    reminder_text: str = ""
    timeline: TimelineView = TimelineView()

    def _show(self, view: DashboardView) -> None:
        self.status, self.plan_name = view.status, view.plan_name
        self.expires_iso, self.expires_display, self.days_left = view.expires_iso, view.expires_display, view.days_left
        self.days_left_text = view.days_left_text
        self.renew_href, self.upcoming, self.payments = view.renew_href, view.upcoming, view.payments
        self.reminder_stage, self.reminder_text = view.reminder_stage, view.reminder_text
        self.timeline = view.timeline
        self.loaded = True

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Show the subscription now, then re-check any payment still pending with Khalti."""
        if not self.is_hydrated:
            return DashboardState.load
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        language = await language_for(self)
        view = await asyncio.to_thread(dashboard_view, user_id, language)  # database reads off the event loop
        self._show(view)
        if view.has_pending:
            self.rechecking = True
            return DashboardState.recheck_pending
        return None

    @rx.event(background=True)
    async def recheck_pending(self) -> None:
        """Look up this user's pending payments (outside the state lock), then redraw."""
        async with self:
            user_id = await self._user_id_async()
            language = await language_for(self)
        if user_id is None:
            return
        for pidx in await asyncio.to_thread(subscription.pending_pidxs, user_id):
            await verify_from_page(pidx, source="dashboard")  # coalesced and rate-limited per payment
        view = await asyncio.to_thread(dashboard_view, user_id, language)
        async with self:
            if await self._user_id_async() == user_id:
                self._show(view)
            self.rechecking = False
