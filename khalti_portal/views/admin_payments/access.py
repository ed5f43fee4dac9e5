"""Access by hand: grant, extend or revoke a user's access, with a reason."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import error_callout, labelled, notice_callout
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.admin_access import AdminAccessState as S
from khalti_portal.views.admin_payments.reason import reason_field

ACTIONS_EXPLAINED = N_(
    "Grant: N days from when the user's access ends (or now). Extend: the same, keeping their "
    "plan's name. Revoke: ends all their access now, grace included; it refunds nothing."
)
# The form sends the value; the person reads its words.
ACTION_WORDS = (("grant", N_("Grant")), ("extend", N_("Extend")), ("revoke", N_("Revoke")))


def access_inputs() -> rx.Component:
    """Action, user and days side by side (stacked on a phone)."""
    action = rx.select.root(
        rx.select.trigger(id="manual-action"),
        rx.select.content(*(rx.select.item(t(words), value=value) for value, words in ACTION_WORDS)),
        name="action",
        default_value="grant",
    )
    user = rx.input(
        id="manual-user",
        name="user",
        max_length=255,
        placeholder=t("username or #id"),
        auto_complete="off",
        width="100%",
    )
    days = rx.input(
        id="manual-days", name="days", input_mode="numeric", max_length=4, auto_complete="off", width="100%"
    )
    return rx.grid(
        labelled(t("Action"), action, for_id="manual-action", width=None),
        labelled(t("User"), user, for_id="manual-user"),
        labelled(t("Days (grant, extend)"), days, for_id="manual-days"),
        columns=rx.breakpoints(initial="1", sm="3"),
        spacing="3",
        width="100%",
    )


def manual_access() -> rx.Component:
    """The card: what each action does, the outcome of the last one, and the form."""
    return rx.card(
        rx.vstack(
            rx.heading(t("Access by hand"), size="4", as_="h2"),
            rx.text(t(ACTIONS_EXPLAINED), size="2", color_scheme="gray"),
            notice_callout(S.manual_notice, "manual-notice"),
            error_callout(S.manual_error, "manual-error"),
            rx.form(
                rx.vstack(
                    access_inputs(),
                    reason_field("manual-reason", rows="2"),
                    rx.button(t("Apply"), type="submit", id="manual-submit"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=S.manual_action,
                key=S.manual_key,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        id="manual-access",
        width="100%",
    )
