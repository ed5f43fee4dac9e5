"""`/dashboard`: the subscriber's expiry, later periods, payment history and renew button."""

from __future__ import annotations

import reflex as rx

from khalti_portal.billing import subscription
from khalti_portal.billing.money import format_rupees
from khalti_portal.billing.nepal_time import format_nepal
from khalti_portal.billing.verification import verify_payment
from khalti_portal.routes import CATALOG_ROUTE, checkout_path
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.views import PaymentRow, PeriodRow


class DashboardState(AuthState):
    """The signed-in subscriber's own subscription, nobody else's."""

    loaded: bool = False
    status: str = "none"
    plan_name: str = ""
    expires_display: str = ""
    expires_iso: str = ""
    days_left: int = 0
    renew_href: str = CATALOG_ROUTE
    upcoming: list[PeriodRow] = []
    payments: list[PaymentRow] = []
    rechecking: bool = False

    def _refresh(self, user_id: int) -> None:
        now_summary = subscription.summary(user_id)
        self.status = now_summary.status.value
        self.plan_name = now_summary.plan_name or ""
        self.expires_iso = now_summary.expires_at_iso or ""
        self.expires_display = now_summary.expires_at_display or ""
        self.days_left = now_summary.days_left
        slug = subscription.current_plan_slug(user_id)
        self.renew_href = checkout_path(slug) if slug else CATALOG_ROUTE
        self.upcoming = [
            PeriodRow(plan_name=p.plan_name, starts=format_nepal(p.starts_at), ends=format_nepal(p.ends_at))
            for p in now_summary.upcoming
        ]
        self.payments = [
            PaymentRow(
                date=format_nepal(r.date),
                plan_name=r.plan_name,
                amount=format_rupees(r.amount_paisa),
                status=r.status,
                transaction_id=r.transaction_id or "",
                reference=r.purchase_order_id,
            )
            for r in subscription.history(user_id)
        ]
        self.loaded = True

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Show the subscription now, then re-check any payment still pending with Khalti."""
        if not self.is_hydrated:
            return DashboardState.load
        user_id = self._user_id()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        self._refresh(user_id)
        if subscription.pending_pidxs(user_id):
            self.rechecking = True
            return DashboardState.recheck_pending
        return None

    @rx.event(background=True)
    async def recheck_pending(self) -> None:
        """Look up this user's pending payments (outside the state lock), then redraw."""
        async with self:
            user_id = self._user_id()
        if user_id is None:
            return
        for pidx in subscription.pending_pidxs(user_id):
            await verify_payment(pidx, source="dashboard")
        async with self:
            if self._user_id() == user_id:
                self._refresh(user_id)
            self.rechecking = False
