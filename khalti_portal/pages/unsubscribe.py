"""`/unsubscribe`: a renewal reminder's unsubscribe link, open to anyone (no sign-in)."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import form_card
from khalti_portal.components.layout import page
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.unsubscribe import UnsubscribeState
from khalti_portal.views.unsubscribe import unsubscribe_section


@page(routes.UNSUBSCRIBE_ROUTE, N_("Renewal reminders"), on_load=UnsubscribeState.load)
def unsubscribe() -> rx.Component:
    return form_card(t("Renewal reminders"), unsubscribe_section())
