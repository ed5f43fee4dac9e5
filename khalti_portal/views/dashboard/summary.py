"""The subscription card: its status in words, when access ends, and Renew (or Choose a plan)."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.actions import link_button
from khalti_portal.components.moments import moment_text
from khalti_portal.components.status import SUBSCRIPTION_COLOURS, status_badge
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.dashboard import DashboardState as S

HEADLINES = {
    "active": N_("Your subscription is active"),
    "expiring": N_("Your subscription ends soon"),
    "grace": N_("Your subscription has ended — you are in the grace period"),
    "expired": N_("Your subscription has expired"),
    "none": N_("You have no subscription yet"),
}


def access_until() -> rx.Component:
    """The plan, when access ends (or ended) and how many days are left; an invitation when there is none."""
    return rx.cond(
        S.expires_iso != "",
        rx.vstack(
            rx.text(t("Plan:"), " ", rx.text.strong(S.plan_name)),
            rx.text(
                rx.cond(S.status == "expired", t("Ended"), t("Access until")),
                " ",
                rx.el.time(
                    moment_text(S.expires_display),
                    date_time=S.expires_iso,
                    id="subscription-expiry",
                    custom_attrs={"data-expires-at": S.expires_iso},
                    font_weight="600",
                ),
            ),
            rx.cond(
                S.days_left > 0,
                rx.text(S.days_left_text, color_scheme="gray", id="days-left"),
            ),
            spacing="1",
        ),
        rx.text(t("Pick a plan to get started."), color_scheme="gray"),
    )


def summary() -> rx.Component:
    """The card at the top of the dashboard."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.match(S.status, *[(k, t(v)) for k, v in HEADLINES.items()], ""), size="5", as_="h2"),
                status_badge(S.status, SUBSCRIPTION_COLOURS),
                justify="between",
                width="100%",
                wrap="wrap",
                gap="2",
            ),
            access_until(),
            rx.cond(
                S.rechecking,
                rx.text(t("Checking a pending payment with Khalti…"), size="2", color_scheme="amber", role="status"),
            ),
            link_button(
                rx.cond(S.status == "none", t("Choose a plan"), t("Renew")), S.renew_href, id="renew", size="3"
            ),
            spacing="3",
            width="100%",
        ),
        id="subscription-status",
        custom_attrs={"data-status": S.status},
        width="100%",
        size="3",
    )
