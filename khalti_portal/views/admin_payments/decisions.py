"""What an admin can do to the open payment: Check now, Refund, or decide a flagged one."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.dialogs import confirm_dialog
from khalti_portal.components.forms import error_callout
from khalti_portal.components.text import t
from khalti_portal.states.admin_payments import AdminPaymentsState as S
from khalti_portal.views.admin_payments.reason import reason_field


def reason_dialog(
    trigger: rx.Var | str,
    trigger_id: str,
    title: rx.Var | str,
    description: rx.Var | str,
    confirm: rx.Var | str,
    on_submit: rx.EventHandler,
    colour: str,
) -> rx.Component:
    """A decision on the open payment, confirmed with a reason; ids start with `trigger_id`."""
    return confirm_dialog(
        rx.button(trigger, size="2", color_scheme=colour, id=trigger_id, disabled=S.busy),
        title,
        description,
        rx.button(confirm, type="submit", color_scheme=colour, id=trigger_id + "-confirm", loading=S.busy),
        fields=(
            rx.el.input(type="hidden", name="payment_id", value=S.detail.id),
            reason_field(trigger_id + "-reason", rows="3"),
            error_callout(S.dialog_error, trigger_id + "-error"),
        ),
        cancel=t("Cancel"),
        on_submit=on_submit,
        key=S.dialog_key,  # a new key after the action ran remounts the dialog closed
    )


def check_now() -> rx.Component:
    """Ask Khalti about the payment now (payments still in flight)."""
    return rx.button(
        t("Check now"),
        size="2",
        variant="soft",
        id="payment-check-now",
        loading=S.busy,
        on_click=S.check_now(S.detail.id),
    )


def refund() -> rx.Component:
    """Refund a completed payment in full."""
    d = S.detail
    return reason_dialog(
        t("Refund…"),
        "payment-refund",
        t("Refund {amount} to {name}?", amount=d.amount, name=d.username),
        t("Khalti returns the full amount to the payer, and the access this payment bought ends now."),
        t("Refund in full"),
        S.refund,
        "red",
    )


def flagged_decisions() -> rx.Component:
    """A flagged payment is either accepted (access granted) or refunded."""
    return rx.hstack(
        reason_dialog(
            t("Accept and grant access…"),
            "payment-grant",
            t("Accept this flagged payment?"),
            t("It becomes completed and {name} gets the access it would have bought.", name=S.detail.username),
            t("Accept and grant"),
            S.resolve_grant,
            "green",
        ),
        reason_dialog(
            t("Refund…"),
            "payment-refund-flagged",
            t("Refund this flagged payment?"),
            t("Khalti returns what was paid to the payer; no access is granted."),
            t("Refund"),
            S.resolve_refund,
            "red",
        ),
        spacing="3",
    )


def decisions() -> rx.Component:
    """The buttons the payment's status allows."""
    d = S.detail
    return rx.hstack(
        rx.cond(d.checkable, check_now()),
        rx.cond(d.refundable, refund()),
        rx.cond(d.flagged, flagged_decisions()),
        spacing="3",
        wrap="wrap",
    )
