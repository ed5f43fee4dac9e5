"""The renewal reminder over the subscription card: what the reminder mail says, with a Renew button."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.actions import link_button
from khalti_portal.components.text import t
from khalti_portal.states.dashboard import DashboardState as S

# Before the end it is a nudge; once access has ended it is the thing to act on.
STAGE_COLOURS = (("ended", "red"), ("grace_ended", "red"))


def renewal_reminder() -> rx.Component:
    """Shown only while a reminder stage is open (`data-stage` names it); nothing otherwise."""
    return rx.cond(
        S.reminder_stage != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("bell")),
            rx.flex(
                rx.callout.text(S.reminder_text, id="renewal-reminder-text"),
                link_button(t("Renew now"), S.renew_href, id="renewal-reminder-renew", size="2"),
                spacing="3",
                align="center",
                justify="between",
                wrap="wrap",
                width="100%",
            ),
            id="renewal-reminder",
            custom_attrs={"data-stage": S.reminder_stage},
            color_scheme=rx.match(S.reminder_stage, *STAGE_COLOURS, "amber"),
            role="status",
            width="100%",
        ),
    )
