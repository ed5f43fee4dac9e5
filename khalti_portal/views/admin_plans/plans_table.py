"""The plans table: every plan, active and archived, with Edit, Archive or Restore, and Delete."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.data_table import data_table
from khalti_portal.components.dialogs import confirm_dialog
from khalti_portal.components.placeholders import empty_state, loading
from khalti_portal.components.status import status_badge
from khalti_portal.components.text import t
from khalti_portal.states.admin_plan_views import AdminPlanView
from khalti_portal.states.admin_plans import AdminPlansState as S

HEADERS = (
    t("Name"),
    t("Slug"),
    t("Price"),
    t("Duration"),
    t("Feature keys"),
    t("Status"),
    t("Active subscribers"),
    t("Actions"),
)
PLAN_STATUS_COLOURS = {"active": "green", "archived": "gray"}


def delete_button(row: AdminPlanView) -> rx.Component:
    """Delete, confirmed in a dialog; disabled (saying why) once the plan has payments."""
    return confirm_dialog(
        rx.button(
            t("Delete"),
            size="1",
            variant="soft",
            color_scheme="red",
            class_name="plan-delete",
            id="plan-delete-" + row.slug,
            disabled=~row.deletable,
            title=rx.cond(row.deletable, t("Delete this plan"), t("It has payments: archive it instead")),
        ),
        t("Delete {name}?", name=row.name),
        t("The plan is removed for good. This cannot be undone."),
        rx.button(t("Delete plan"), color_scheme="red", id="plan-delete-confirm", on_click=S.delete(row.id)),
        cancel=t("Keep it"),
    )


def archive_or_restore(row: AdminPlanView) -> rx.Component:
    """Archive takes an active plan off sale; Restore puts an archived one back."""
    return rx.cond(
        row.is_active,
        rx.button(
            t("Archive"),
            size="1",
            variant="soft",
            color_scheme="orange",
            class_name="plan-archive",
            id="plan-archive-" + row.slug,
            on_click=S.archive(row.id),
        ),
        rx.button(
            t("Restore"),
            size="1",
            variant="soft",
            color_scheme="green",
            class_name="plan-restore",
            id="plan-restore-" + row.slug,
            on_click=S.restore(row.id),
        ),
    )


def plan_row(row: AdminPlanView) -> rx.Component:
    """One plan and its actions."""
    return rx.table.row(
        rx.table.row_header_cell(row.name, white_space="nowrap"),
        rx.table.cell(rx.code(row.slug)),
        rx.table.cell(row.price, class_name="plan-price", white_space="nowrap"),
        rx.table.cell(row.duration, white_space="nowrap"),
        rx.table.cell(
            rx.cond(row.feature_keys != "", rx.code(row.feature_keys), rx.text(t("none"), color_scheme="gray")),
            class_name="plan-feature-keys",
        ),
        rx.table.cell(status_badge(row.status, PLAN_STATUS_COLOURS), class_name="plan-status"),
        rx.table.cell(row.subscribers_text, class_name="plan-subscribers"),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    t("Edit"),
                    size="1",
                    variant="soft",
                    class_name="plan-edit",
                    id="plan-edit-" + row.slug,
                    on_click=S.start_edit(row.id),
                ),
                archive_or_restore(row),
                delete_button(row),
                spacing="2",
                wrap="nowrap",
            ),
        ),
        custom_attrs={
            "data-plan-slug": row.slug,
            "data-plan-id": row.id,
            "data-active": rx.cond(row.is_active, "true", "false"),
        },
        class_name="admin-plan-row",
    )


def plans_table() -> rx.Component:
    """Every plan, or a line inviting the first one; a spinner until the state has loaded."""
    return rx.cond(
        S.loaded,
        rx.cond(
            S.rows.length() == 0,
            empty_state(t("No plans yet: create the first one with the form below."), id_="admin-plans-empty"),
            data_table(HEADERS, S.rows, plan_row, id_="admin-plans", label=t("Plans")),
        ),
        loading(t("Loading plans…")),
    )
