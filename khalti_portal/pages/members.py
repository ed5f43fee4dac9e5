"""`/members`: the members' pages a subscriber's plan unlocks; the way to subscribe (or renew) for anyone else."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.placeholders import loading
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.members import OPEN
from khalti_portal.states.members import MembersState as S
from khalti_portal.views.members import locked, unlocked


@page(routes.MEMBERS_ROUTE, N_("Members"), on_load=S.load)
def members() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Members"), size="7"),
        rx.cond(S.loaded, rx.cond(S.access == OPEN, unlocked(), locked()), loading(t("Loading the members' pages…"))),
        spacing="4",
        width="100%",
    )
