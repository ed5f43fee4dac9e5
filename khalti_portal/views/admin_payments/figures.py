"""The figures over the payments list: subscribers, this month's revenue, what needs attention."""

from __future__ import annotations

import reflex as rx

from khalti_portal.states.admin_payments import AdminPaymentsState as S


def figure(label: str, value: rx.Var, id_: str, hint: rx.Var | str = "") -> rx.Component:
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
        figure("Active subscribers", f.active, "figure-active", "grace period included"),
        figure("Revenue, " + f.period, f.revenue, "figure-revenue", f.gross + " paid − " + f.refunds + " refunded"),
        figure("Expiring in 7 days", f.expiring, "figure-expiring"),
        figure("Pending payments", f.pending, "figure-pending"),
        figure("Flagged payments", f.flagged, "figure-flagged", "an admin must decide"),
        columns=rx.breakpoints(initial="1", sm="2", md="5"),
        spacing="3",
        width="100%",
        id="admin-figures",
    )
