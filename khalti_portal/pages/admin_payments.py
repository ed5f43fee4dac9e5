"""`/admin/payments`: figures, the payments list and one payment's detail, the last 12 months, access by hand.

The list has a status filter, a search box, pages and a CSV download; the detail panel has Check now,
Refund (completed payments) or the flagged decisions, each confirmed in a dialog that asks for a reason.
Under the list, revenue and active subscribers of the last 12 months as charts and as a table. Admins only.
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
from khalti_portal.states.admin_payments import AdminPaymentsState as S
from khalti_portal.views.admin_payments.access import manual_access
from khalti_portal.views.admin_payments.charts import monthly_figures
from khalti_portal.views.admin_payments.detail import detail_panel
from khalti_portal.views.admin_payments.figures import figures
from khalti_portal.views.admin_payments.filters import filter_bar
from khalti_portal.views.admin_payments.payments_table import pager, payments_table


@page(routes.ADMIN_PAYMENTS_ROUTE, N_("Admin: payments"), on_load=S.load)
def admin_payments() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN_PAYMENTS_ROUTE),
        rx.heading(t("Payments"), size="7"),
        rx.cond(
            S.loaded,
            rx.vstack(
                figures(),
                notice_callout(S.notice, "admin-notice"),
                error_callout(S.error_message, "admin-error"),
                rx.cond(S.detail_open, detail_panel()),
                filter_bar(),
                payments_table(),
                pager(),
                monthly_figures(),
                manual_access(),
                spacing="4",
                width="100%",
            ),
            loading(t("Loading payments…")),
        ),
        spacing="4",
        width="100%",
    )
