"""`confirm_dialog`: the one "are you sure?" shape — a trigger, what will happen, Cancel and the confirm button."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

from khalti_portal.components.text import t


def confirm_dialog(
    trigger: rx.Component,
    title: rx.Var | str,
    description: rx.Var | str,
    confirm: rx.Component,
    *,
    cancel: rx.Var | str = "",
    fields: Sequence[rx.Component] = (),
    on_submit: Any = None,
    **props: Any,
) -> rx.Component:
    """A dialog opened by `trigger` that asks before `confirm` acts; `props` (e.g. `key`) go to its root.

    Without `on_submit`, `confirm` acts by its own `on_click` and closes the dialog. With it, the dialog holds a
    form of `fields` that `confirm` (a submit button) sends, and stays open so it can say what is wrong until
    the caller remounts it closed with a new `key`.
    """
    asks_for_input = on_submit is not None
    cancel = cancel if isinstance(cancel, rx.Var) or cancel else t("Cancel")
    buttons = rx.hstack(
        rx.dialog.close(
            rx.button(cancel, type="button", variant="soft", color_scheme="gray", class_name="dialog-cancel")
        ),
        confirm if asks_for_input else rx.dialog.close(confirm),
        spacing="3",
        justify="end",
        width="100%",
        margin_top=None if asks_for_input else "1rem",
    )
    body = (
        rx.form(
            rx.vstack(*fields, buttons, spacing="2", width="100%", margin_top="0.75rem"),
            on_submit=on_submit,
            reset_on_submit=False,
        )
        if asks_for_input
        else buttons
    )
    return rx.dialog.root(
        rx.dialog.trigger(trigger),
        rx.dialog.content(rx.dialog.title(title), rx.dialog.description(description), body),
        **props,
    )
