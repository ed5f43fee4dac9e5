"""`/admin/api-keys`: keys for the merchant's systems (create, shown once; revoke, confirmed); admins only."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.admin_nav import admin_nav
from khalti_portal.components.forms import error_callout, notice_callout
from khalti_portal.components.layout import page
from khalti_portal.components.placeholders import loading
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.admin_api_keys import AdminApiKeysState as S
from khalti_portal.views.admin_api_keys import create_form, keys_table, new_key_box


@page(routes.ADMIN_API_KEYS_ROUTE, N_("Admin: API keys"), on_load=S.load)
def admin_api_keys() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN_API_KEYS_ROUTE),
        rx.heading(t("API keys"), size="7"),
        rx.cond(
            S.loaded,
            rx.vstack(
                notice_callout(S.notice, "keys-notice"),
                error_callout(S.error_message, "keys-error"),
                create_form(),
                new_key_box(),
                keys_table(),
                spacing="4",
                width="100%",
            ),
            loading(t("Loading API keys…")),
        ),
        spacing="4",
        width="100%",
    )
