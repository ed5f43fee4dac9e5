"""`/admin/plans`: the plans table (active and archived) and the create/edit form, for admins only."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.admin_nav import admin_nav
from khalti_portal.components.forms import error_callout, notice_callout
from khalti_portal.components.layout import page
from khalti_portal.components.status import status_badge
from khalti_portal.states.admin_plan_views import AdminPlanView
from khalti_portal.states.admin_plans import AdminPlansState

S = AdminPlansState
PLAN_STATUS_COLOURS = {"active": "green", "archived": "gray"}


def field_error(key: str) -> rx.Component:
    """The message for one field, right under it."""
    return rx.cond(
        S.form_errors.contains(key),
        rx.text(
            S.form_errors[key],
            id=f"plan-{key.replace('_', '-')}-error",
            class_name="field-error",
            size="2",
            color=rx.color("red", 11),
        ),
    )


def plan_field(label: str, key: str, *, hint: str = "", multiline: bool = False, **props: object) -> rx.Component:
    """A labelled input named after the billing form field, with id `plan-<field>` and its error below."""
    input_id = f"plan-{key.replace('_', '-')}"
    draft_value = getattr(S.draft, key)
    attrs = {
        "aria-invalid": rx.cond(S.form_errors.contains(key), "true", "false"),
        "aria-describedby": f"{input_id}-error {input_id}-hint",
    }
    control = (
        rx.text_area(
            id=input_id,
            name=key,
            default_value=draft_value,
            rows="5",
            width="100%",
            resize="vertical",
            custom_attrs=attrs,
            **props,
        )
        if multiline
        else rx.input(
            id=input_id, name=key, default_value=draft_value, size="3", width="100%", custom_attrs=attrs, **props
        )
    )
    return rx.vstack(
        rx.el.label(label, html_for=input_id, font_weight="500", font_size="0.95rem"),
        control,
        rx.text(hint, id=f"{input_id}-hint", size="1", color_scheme="gray") if hint else rx.fragment(),
        field_error(key),
        spacing="1",
        width="100%",
    )


def plan_form() -> rx.Component:
    editing = S.editing_id != 0
    return rx.card(
        rx.vstack(
            rx.heading(rx.cond(editing, "Edit " + S.editing_name, "New plan"), size="5", id="plan-form-title"),
            rx.form(
                rx.vstack(
                    rx.grid(
                        plan_field("Name", "name", max_length=120),
                        plan_field(
                            "Slug",
                            "slug",
                            hint="Lowercase letters, digits and hyphens; used in /checkout/…",
                            max_length=64,
                            auto_complete="off",
                            spell_check=False,
                        ),
                        plan_field(
                            "Price (rupees)",
                            "price",
                            hint="For example 499 or 1,299.50; at least Rs 10.",
                            input_mode="decimal",
                            auto_complete="off",
                        ),
                        plan_field(
                            "Duration (days)", "duration", hint="1 to 3650.", input_mode="numeric", auto_complete="off"
                        ),
                        plan_field(
                            "Sort order",
                            "sort_order",
                            hint="Lower numbers show first in the catalog.",
                            input_mode="numeric",
                            auto_complete="off",
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="4",
                        width="100%",
                    ),
                    plan_field(
                        "Features", "features", hint="One per line; at most 20 lines of 200 characters.", multiline=True
                    ),
                    plan_field(
                        "Description", "description", hint="At most 1000 characters.", multiline=True, max_length=1000
                    ),
                    error_callout(S.form_message, "plan-form-error"),
                    rx.hstack(
                        rx.button(
                            rx.cond(editing, "Save changes", "Create plan"), type="submit", id="plan-save", size="3"
                        ),
                        rx.cond(
                            editing,
                            rx.button(
                                "Cancel",
                                type="button",
                                id="plan-cancel",
                                variant="soft",
                                color_scheme="gray",
                                size="3",
                                on_click=AdminPlansState.cancel_edit,
                            ),
                        ),
                        spacing="3",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=AdminPlansState.save,
                key=S.form_key,  # a new key remounts the inputs with the new draft
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        id="plan-form",
        width="100%",
        size="3",
    )


def delete_button(row: AdminPlanView) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Delete",
                size="1",
                variant="soft",
                color_scheme="red",
                class_name="plan-delete",
                id="plan-delete-" + row.slug,
                disabled=~row.deletable,
                title=rx.cond(row.deletable, "Delete this plan", "It has payments: archive it instead"),
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete " + row.name + "?"),
            rx.alert_dialog.description("The plan is removed for good. This cannot be undone."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete plan",
                        color_scheme="red",
                        id="plan-delete-confirm",
                        on_click=AdminPlansState.delete(row.id),
                    ),
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )


def plan_row(row: AdminPlanView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name, white_space="nowrap"),
        rx.table.cell(rx.code(row.slug)),
        rx.table.cell(row.price, class_name="plan-price"),
        rx.table.cell(row.duration),
        rx.table.cell(status_badge(row.status, PLAN_STATUS_COLOURS), class_name="plan-status"),
        rx.table.cell(row.subscribers, class_name="plan-subscribers"),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    class_name="plan-edit",
                    id="plan-edit-" + row.slug,
                    on_click=AdminPlansState.start_edit(row.id),
                ),
                rx.cond(
                    row.is_active,
                    rx.button(
                        "Archive",
                        size="1",
                        variant="soft",
                        color_scheme="orange",
                        class_name="plan-archive",
                        id="plan-archive-" + row.slug,
                        on_click=AdminPlansState.archive(row.id),
                    ),
                    rx.button(
                        "Restore",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        class_name="plan-restore",
                        id="plan-restore-" + row.slug,
                        on_click=AdminPlansState.restore(row.id),
                    ),
                ),
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
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(title)
                    for title in ("Name", "Slug", "Price", "Duration", "Status", "Active subscribers", "Actions")
                ],
            ),
        ),
        rx.table.body(rx.foreach(S.rows, plan_row)),
        id="admin-plans",
        width="100%",
        variant="surface",
    )


@page(routes.ADMIN_PLANS_ROUTE, "Admin: plans", on_load=AdminPlansState.load)
def admin_plans() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN_PLANS_ROUTE),
        rx.heading("Plans", size="7"),
        rx.text(
            "Archived plans are off sale; their subscribers keep what they paid for. "
            "Changes show in the catalog at once.",
            color_scheme="gray",
        ),
        notice_callout(S.notice, "admin-notice"),
        error_callout(S.error_message, "admin-error"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.rows.length() == 0,
                rx.callout("No plans yet: create the first one below.", icon="info", id="admin-plans-empty"),
                rx.box(plans_table(), overflow_x="auto", width="100%"),
            ),
            rx.spinner(),
        ),
        rx.cond(S.loaded, plan_form()),
        spacing="4",
        width="100%",
    )
