"""`site_footer`: the merchant's name and contact, and the links to the terms and the privacy notice."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.styles import MAX_WIDTH
from khalti_portal.components.text import t
from khalti_portal.config import get_settings


def _contact() -> list[rx.Component]:
    """MERCHANT_EMAIL and MERCHANT_PHONE as links a phone or a mail program opens; none when unset."""
    merchant = get_settings().merchant
    found: list[rx.Component] = []
    if merchant.email:
        found.append(rx.link(merchant.email, href=f"mailto:{merchant.email}", id="footer-email"))
    if merchant.phone:
        dial = "".join(c for c in merchant.phone if c.isdigit() or c == "+")
        found.append(rx.link(merchant.phone, href=f"tel:{dial}", id="footer-phone"))
    return found


def site_footer() -> rx.Component:
    """Who runs the site and how to reach them, the legal pages; hidden when a receipt is printed."""
    settings = get_settings()
    merchant = settings.merchant
    contact = _contact()
    return rx.el.footer(
        rx.flex(
            rx.vstack(
                rx.text(settings.site_name, weight="bold", size="2"),
                rx.text(merchant.name, size="1") if merchant.name != settings.site_name else rx.fragment(),
                rx.text(merchant.address, size="1") if merchant.address else rx.fragment(),
                rx.hstack(*contact, spacing="3", wrap="wrap", id="footer-contact") if contact else rx.fragment(),
                spacing="1",
            ),
            rx.hstack(
                rx.link(t("Terms"), href=routes.TERMS_ROUTE, id="footer-terms"),
                rx.link(t("Privacy"), href=routes.PRIVACY_ROUTE, id="footer-privacy"),
                spacing="4",
            ),
            justify="between",
            gap="3",
            wrap="wrap",
            width="100%",
            max_width=MAX_WIDTH,
            margin="0 auto",
            padding="1.25rem 1rem",
        ),
        id="site-footer",
        class_name="no-print",
        border_top=f"1px solid {rx.color('gray', 5)}",
        color=rx.color("gray", 11),
        font_size="var(--font-size-2)",
        width="100%",
        margin_top="2rem",
    )
