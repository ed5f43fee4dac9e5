"""`/admin/plans`: the plans table (active and archived) and the create/edit form, for admins only."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.admin_nav import admin_nav
from khalti_portal.components.forms import error_callout, notice_callout
from khalti_portal.components.layout import page
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.admin_plans import AdminPlansState as S
from khalti_portal.views.admin_plans.plan_form import plan_form
from khalti_portal.views.admin_plans.plans_table import plans_table


@page(routes.ADMIN_PLANS_ROUTE, N_("Admin: plans"), on_load=S.load)
def admin_plans() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN_PLANS_ROUTE),
        rx.heading(t("Plans"), size="7"),
        rx.text(
            t(
                "Archived plans are off sale; their subscribers keep what they paid for. "
                "Changes show in the catalog at once."
            ),
            color_scheme="gray",
        ),
        notice_callout(S.notice, "admin-notice"),
        error_callout(S.error_message, "admin-error"),
        plans_table(),
        rx.cond(S.loaded, plan_form()),
        spacing="4",
        width="100%",
    )
