"""`/dashboard`: a reminder near the end, when access ends, the paid time as a timeline, later periods, payments."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.placeholders import loading
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.dashboard import DashboardState as S
from khalti_portal.views.dashboard.history import payment_history, upcoming
from khalti_portal.views.dashboard.reminder import renewal_reminder
from khalti_portal.views.dashboard.summary import summary
from khalti_portal.views.dashboard.timeline import access_timeline


@page(routes.DASHBOARD_ROUTE, N_("Dashboard"), on_load=S.load)
def dashboard() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Your subscription"), size="7"),
        renewal_reminder(),
        rx.cond(S.loaded, summary(), loading(t("Loading your subscription…"))),
        access_timeline(),
        upcoming(),
        rx.heading(t("Payments"), size="4", as_="h2"),
        payment_history(),
        spacing="4",
        width="100%",
    )
