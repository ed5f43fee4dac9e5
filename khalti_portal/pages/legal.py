"""`/terms` and `/privacy`: the merchant's terms of service and privacy notice, open to anyone."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.legal import LegalState as S
from khalti_portal.views.legal import legal_document


@page(routes.TERMS_ROUTE, N_("Terms"), on_load=S.load_terms)
def terms() -> rx.Component:
    return legal_document(t("The terms of service have not been written yet."))


@page(routes.PRIVACY_ROUTE, N_("Privacy"), on_load=S.load_privacy)
def privacy() -> rx.Component:
    return legal_document(t("The privacy notice has not been written yet."))
