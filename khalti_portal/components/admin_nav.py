"""`admin_nav`: the admin pages' own links (plans, payments, mail, API keys), shown at the top of each admin page."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_

ADMIN_LINKS = (
    (N_("Plans"), routes.ADMIN_PLANS_ROUTE, "admin-nav-plans"),
    (N_("Payments"), routes.ADMIN_PAYMENTS_ROUTE, "admin-nav-payments"),
    (N_("Mail"), routes.ADMIN_MAIL_ROUTE, "admin-nav-mail"),
    (N_("API keys"), routes.ADMIN_API_KEYS_ROUTE, "admin-nav-api-keys"),
)


def admin_nav(current: str) -> rx.Component:
    """Links to every admin page; the one at `current` (a route) is marked as the current page."""
    return rx.el.nav(
        rx.hstack(
            rx.text(t("Admin"), weight="bold", color_scheme="gray", size="2"),
            *[
                rx.link(
                    t(title),
                    href=route,
                    id=id_,
                    weight="bold" if route == current else "regular",
                    underline="always" if route == current else "hover",
                    custom_attrs={"aria-current": "page"} if route == current else {},
                )
                for title, route, id_ in ADMIN_LINKS
            ],
            spacing="4",
            align="center",
        ),
        aria_label=t("Admin pages"),
        id="admin-nav",
        width="100%",
    )
