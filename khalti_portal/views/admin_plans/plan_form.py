"""The create/edit form: one labelled input per plan field, its error right under it."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import described_by, error_callout, field_error, has_text, labelled
from khalti_portal.components.text import number, rupees, t
from khalti_portal.states.admin_plans import PLAN_LIMITS as L
from khalti_portal.states.admin_plans import AdminPlansState as S


def plan_field(
    label: rx.Var | str, key: str, *, hint: rx.Var | str = "", multiline: bool = False, **props: object
) -> rx.Component:
    """An input named after the billing form field `key`, with id `plan-<field>`, filled from the draft."""
    input_id = f"plan-{key.replace('_', '-')}"
    attrs = described_by(f"{input_id}-hint" if has_text(hint) else "", f"{input_id}-error", S.form_errors.contains(key))
    common = {"id": input_id, "name": key, "default_value": getattr(S.draft, key), "width": "100%", **props}
    control = (
        rx.text_area(rows="5", resize="vertical", custom_attrs=attrs, **common)
        if multiline
        else rx.input(size="3", custom_attrs=attrs, **common)
    )
    error = field_error(S.form_errors, key, f"{input_id}-error")
    return labelled(label, control, for_id=input_id, hint=hint, error=error)


def plan_fields() -> rx.Component:
    """Name, slug, price, duration and sort order in two columns; features and description under them."""
    return rx.fragment(
        rx.grid(
            plan_field(t("Name"), "name", max_length=L.max_name),
            plan_field(
                t("Slug"),
                "slug",
                hint=t("Lowercase letters, digits and hyphens; used in /checkout/…"),
                max_length=64,
                auto_complete="off",
                spell_check=False,
            ),
            plan_field(
                t("Price (rupees)"),
                "price",
                # TRANSLATORS: 499 and 1,299.50 show what to type: keep them in these digits, which the form reads.
                hint=t("For example 499 or 1,299.50; at least {price}.", price=rupees(L.min_price_paisa)),
                input_mode="decimal",
                auto_complete="off",
            ),
            plan_field(
                t("Duration (days)"),
                "duration",
                hint=t("{low} to {high}.", low=number(L.min_days), high=number(L.max_days)),
                input_mode="numeric",
                auto_complete="off",
            ),
            plan_field(
                t("Sort order"),
                "sort_order",
                hint=t("Lower numbers show first in the catalog."),
                input_mode="numeric",
                auto_complete="off",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
        plan_field(
            t("Feature keys"),
            "feature_keys",
            hint=t(
                "What the plan unlocks, for the members area and the API: short slugs separated by commas or "
                "spaces, like downloads, priority-support; at most {max}.",
                max=number(L.max_feature_keys),
            ),
            auto_complete="off",
            spell_check=False,
        ),
        plan_field(
            t("Features"),
            "features",
            hint=t(
                "One per line; at most {lines} lines of {chars} characters.",
                lines=number(L.max_features),
                chars=number(L.max_feature_chars),
            ),
            multiline=True,
        ),
        plan_field(
            t("Description"),
            "description",
            hint=t("At most {max} characters.", max=number(L.max_description)),
            multiline=True,
            max_length=L.max_description,
        ),
    )


def form_buttons(editing: rx.Var[bool]) -> rx.Component:
    """Create or Save, and Cancel while editing."""
    return rx.hstack(
        rx.button(rx.cond(editing, t("Save changes"), t("Create plan")), type="submit", id="plan-save", size="3"),
        rx.cond(
            editing,
            rx.button(
                t("Cancel"),
                type="button",
                id="plan-cancel",
                variant="soft",
                color_scheme="gray",
                size="3",
                on_click=S.cancel_edit,
            ),
        ),
        spacing="3",
    )


def plan_form() -> rx.Component:
    """The card: New plan, or Edit <name> while a plan is being edited."""
    editing = S.editing_id != 0
    return rx.card(
        rx.vstack(
            rx.heading(
                rx.cond(editing, t("Edit {name}", name=S.editing_name), t("New plan")),
                size="5",
                as_="h2",
                id="plan-form-title",
            ),
            rx.form(
                rx.vstack(
                    plan_fields(),
                    error_callout(S.form_message, "plan-form-error"),
                    form_buttons(editing),
                    spacing="4",
                    width="100%",
                ),
                on_submit=S.save,
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
