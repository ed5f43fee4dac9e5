"""Labelled form fields and messages (reflex-local-auth's stock forms have placeholders, not labels)."""

from __future__ import annotations

import reflex as rx


def field(
    label: str, name: str, *, type_: str = "text", autocomplete: str = "", hint: str = "", **props: object
) -> rx.Component:
    """A label bound to its input by id, with an optional hint under it."""
    return rx.vstack(
        rx.el.label(label, html_for=name, font_weight="500", font_size="0.95rem"),
        rx.input(id=name, name=name, type=type_, auto_complete=autocomplete or None, size="3", width="100%", **props),
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        spacing="1",
        width="100%",
    )


def error_callout(message: rx.Var[str], id_: str = "form-error") -> rx.Component:
    """Shown only when there is something to say."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", id=id_, width="100%"),
    )


def notice_callout(message: rx.Var[str], id_: str) -> rx.Component:
    """A green confirmation that something was done; shown only when there is something to say."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="check", color_scheme="green", role="status", id=id_, width="100%"),
    )


def form_card(title: str, *children: rx.Component) -> rx.Component:
    """A narrow centred card for account forms."""
    return rx.center(
        rx.card(
            rx.vstack(rx.heading(title, size="6"), *children, spacing="4", width="100%"),
            width="100%",
            max_width="26rem",
            size="3",
        ),
        width="100%",
        padding_top="2rem",
    )
