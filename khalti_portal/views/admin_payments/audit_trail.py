"""The open payment's audit trail: one entry per event, with Khalti's raw answer folded away."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.text import t
from khalti_portal.states.admin_payment_views import EventView
from khalti_portal.states.admin_payments import AdminPaymentsState as S


def event_item(event: EventView) -> rx.Component:
    """When, from where, what changed and who did it; the detail and Khalti's answer under it."""
    return rx.box(
        rx.hstack(
            rx.text(event.at, size="1", color_scheme="gray"),
            rx.badge(event.source_words, variant="outline", size="1"),
            rx.badge(event.kind_words, variant="soft", size="1"),
            rx.text(event.change, size="1"),
            rx.cond(event.actor != "", rx.text(t("by {name}", name=event.actor), size="1", weight="medium")),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        # The detail is the audit row as it was logged (English, Khalti's words verbatim): a record, not page text.
        rx.cond(event.detail != "", rx.text(event.detail, size="2", white_space="pre-wrap", class_name="event-detail")),
        rx.cond(
            event.khalti_json != "",
            rx.el.details(
                rx.el.summary(t("Khalti's answer"), font_size="0.85rem", cursor="pointer"),
                rx.el.pre(
                    event.khalti_json,
                    font_size="0.8rem",
                    class_name="khalti-json scroll-region",
                    tab_index=0,  # it scrolls sideways on a phone: the keyboard must reach it
                    custom_attrs={"role": "region", "aria-label": t("Khalti's answer")},
                ),
            ),
        ),
        class_name="payment-event",
        custom_attrs={"data-kind": event.kind},
        padding_y="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def audit_trail() -> rx.Component:
    """The heading and every event of the open payment."""
    return rx.fragment(
        rx.heading(t("Audit trail"), size="3", as_="h3"),
        rx.box(rx.foreach(S.detail.events, event_item), id="payment-events", width="100%"),
    )
