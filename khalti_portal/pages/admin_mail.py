"""`/admin/mail`: the mail outbox (queued, sent, failed with its error), filtered by status; admins only.

A failed message has a Retry button, confirmed in a dialog; the retry is audited with the admin's name.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.admin_nav import admin_nav
from khalti_portal.components.forms import error_callout, notice_callout
from khalti_portal.components.layout import page
from khalti_portal.components.placeholders import loading
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.admin_mail import AdminMailState as S
from khalti_portal.views.admin_mail import filter_bar, no_smtp_callout, outbox_table, pager


@page(routes.ADMIN_MAIL_ROUTE, N_("Admin: mail"), on_load=S.load)
def admin_mail() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN_MAIL_ROUTE),
        rx.heading(t("Mail"), size="7"),
        rx.cond(
            S.loaded,
            rx.vstack(
                no_smtp_callout(),
                notice_callout(S.notice, "mail-notice"),
                error_callout(S.error_message, "mail-error"),
                filter_bar(),
                outbox_table(),
                pager(),
                spacing="4",
                width="100%",
            ),
            loading(t("Loading the outbox…")),
        ),
        spacing="4",
        width="100%",
    )
