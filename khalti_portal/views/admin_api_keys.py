"""The sections of `/admin/api-keys`: the new-key form, the key shown once, and the keys table with Revoke."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.data_table import data_table
from khalti_portal.components.dialogs import confirm_dialog
from khalti_portal.components.forms import described_by, labelled
from khalti_portal.components.placeholders import empty_state
from khalti_portal.components.text import number, t
from khalti_portal.states.admin_api_key_views import ApiKeyRowView
from khalti_portal.states.admin_api_keys import MAX_LABEL
from khalti_portal.states.admin_api_keys import AdminApiKeysState as S

HEADERS = (t("Label"), t("Prefix"), t("Created"), t("Last used"), t("Revoked"), t("Actions"))


def create_form() -> rx.Component:
    """A label and Create key; what is wrong with the label shows under it."""
    control = rx.input(
        id="new-key-label",
        name="label",
        max_length=MAX_LABEL,
        placeholder=t("Warehouse sync"),
        auto_complete="off",
        width="100%",
        custom_attrs=described_by("new-key-label-hint", "new-key-label-error", S.label_error != ""),
    )
    error = rx.cond(
        S.label_error != "",
        rx.text(
            S.label_error,
            id="new-key-label-error",
            class_name="field-error",
            size="2",
            color_scheme="red",
            role="alert",
        ),
    )
    return rx.form(
        rx.hstack(
            labelled(
                t("Label"),
                control,
                for_id="new-key-label",
                hint=t("Who uses the key; {low} to {high} characters.", low=number(1), high=number(MAX_LABEL)),
                error=error,
            ),
            rx.button(t("Create key"), type="submit", id="create-key"),
            align="end",
            spacing="3",
            width="100%",
        ),
        on_submit=S.create,
        reset_on_submit=False,
        key=S.form_key,  # a new key remounts the input empty after a key is made
        width="100%",
    )


def new_key_box() -> rx.Component:
    """The key just created, once: copy it now. Leaving the page forgets it."""
    return rx.cond(
        S.new_key_value != "",
        rx.callout.root(
            rx.vstack(
                # TRANSLATORS: {label} is the key's label, as the admin typed it.
                rx.text(t("New key for {label}:", label=S.new_key_label), size="2", weight="medium"),
                rx.code(S.new_key_value, id="new-key-value", size="3", word_break="break-all"),
                rx.text(
                    t("Copy it now, it will not be shown again: only its fingerprint is kept."),
                    size="2",
                    weight="bold",
                    id="new-key-note",
                ),
                rx.hstack(
                    rx.button(
                        t("Copy"), size="1", variant="soft", on_click=rx.set_clipboard(S.new_key_value), id="copy-key"
                    ),
                    rx.button(t("I have copied it"), size="1", variant="soft", on_click=S.forget_key, id="forget-key"),
                    spacing="2",
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="amber",
            id="new-key",
            width="100%",
            on_unmount=S.forget_key,
        ),
    )


def revoke_button(row: ApiKeyRowView) -> rx.Component:
    """Revoke, confirmed first: systems using the key are refused from then on."""
    return confirm_dialog(
        rx.button(
            t("Revoke…"),
            size="1",
            variant="soft",
            color_scheme="red",
            class_name="revoke-key",
            custom_attrs={"aria-label": t("Revoke the key {prefix}", prefix=row.prefix)},
        ),
        t("Revoke {prefix}?", prefix=row.prefix),
        t(
            "Systems using the key “{label}” are refused from now on. This cannot be undone. "
            "Your name is kept in the audit trail.",
            label=row.label,
        ),
        rx.button(t("Revoke key"), color_scheme="red", class_name="revoke-key-confirm", on_click=S.revoke(row.id)),
        cancel=t("Keep it"),
    )


def key_row(row: ApiKeyRowView) -> rx.Component:
    """One key; a working one has its Revoke button."""
    return rx.table.row(
        rx.table.row_header_cell(row.label, class_name="key-label"),
        rx.table.cell(rx.code(row.prefix + "…"), class_name="key-prefix"),
        rx.table.cell(row.created, white_space="nowrap", class_name="key-created"),
        rx.table.cell(row.last_used, white_space="nowrap", class_name="key-last-used"),
        rx.table.cell(row.revoked, white_space="nowrap", class_name="key-revoked"),
        rx.table.cell(rx.cond(row.is_revoked, rx.fragment(), revoke_button(row))),
        custom_attrs={
            "data-key-prefix": row.prefix,
            "data-key-id": row.id,
            "data-revoked": rx.cond(row.is_revoked, "true", "false"),
        },
        class_name="admin-key-row",
    )


def keys_table() -> rx.Component:
    """Every key, newest first, or a line saying there are none."""
    return rx.cond(
        S.rows.length() == 0,
        empty_state(
            t("No API keys yet: create the first one with the form above."), id_="admin-keys-empty", icon="key"
        ),
        data_table(HEADERS, S.rows, key_row, id_="admin-keys", label=t("API keys"), size="1"),
    )
