"""The figures over the payments list: subscribers, this month's revenue, what needs attention."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.text import t
from khalti_portal.states.admin_payments import AdminPaymentsState as S


def figure(label: rx.Var | str, value: rx.Var, id_: str, hint: rx.Var | str = "") -> rx.Component:
    """One figure in a card: what it counts, the number, and an optional line on how to read it."""
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="6", weight="bold", class_name="figure-value"),
            rx.text(hint, size="1", color_scheme="gray") if isinstance(hint, rx.Var) or hint else rx.fragment(),
            spacing="1",
        ),
        id=id_,
        width="100%",
    )


def figures() -> rx.Component:
    """The five figures in a row (stacked on a phone)."""
    f = S.figures
    return rx.grid(
        figure(t("Active subscribers"), f.active_text, "figure-active", t("grace period included")),
        figure(
            t("Revenue, {period}", period=f.period),
            f.revenue,
            "figure-revenue",
            t("{paid} paid − {refunded} refunded", paid=f.gross, refunded=f.refunds),
        ),
        # TRANSLATORS: a count of subscribers whose access ends within the next seven days.
        figure(t("Expiring in 7 days"), f.expiring_text, "figure-expiring"),
        figure(t("Pending payments"), f.pending_text, "figure-pending"),
        figure(t("Flagged payments"), f.flagged_text, "figure-flagged", t("an admin must decide")),
        columns=rx.breakpoints(initial="1", sm="2", md="5"),
        spacing="3",
        width="100%",
        id="admin-figures",
    )
