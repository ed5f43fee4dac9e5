"""Labelled form fields and messages (reflex-local-auth's stock forms have placeholders, not labels)."""

from __future__ import annotations

from typing import Any

import reflex as rx

# Labels, hints and titles are plain text or `t(...)`'s Var (the text in the person's language).
Text = str | rx.Var


def has_text(text: Text) -> bool:
    """Whether a label or hint was given: a Var (translated text) always counts, a str when it is not empty."""
    return not isinstance(text, str) or text != ""


def labelled(
    label: Text, control: rx.Component, *, for_id: str, hint: Text = "", error: rx.Component | None = None, **props: Any
) -> rx.Component:
    """`label` bound to `control` (whose id is `for_id`), then an optional hint (id `<for_id>-hint`) and error.

    `props` go to the stack holding them (`spacing`, `width`: 1 and 100% unless given; `width=None` for none).
    """
    return rx.vstack(
        rx.el.label(label, html_for=for_id, font_weight="500", font_size="0.95rem"),
        control,
        rx.text(hint, id=f"{for_id}-hint", size="1", color_scheme="gray") if has_text(hint) else rx.fragment(),
        *([error] if error is not None else []),
        **{"spacing": "1", "width": "100%", **props},
    )


def described_by(hint_id: str = "", error_id: str = "", invalid: rx.Var[bool] | None = None) -> dict[str, rx.Var | str]:
    """The attributes that tie an input to its hint and its error (read out with it) and say when it is wrong."""
    attrs: dict[str, rx.Var | str] = {}
    ids = " ".join(i for i in (hint_id, error_id) if i)
    if ids:
        attrs["aria-describedby"] = ids  # an id not on the page (no error now) is skipped by screen readers
    if invalid is not None:
        attrs["aria-invalid"] = rx.cond(invalid, "true", "false")
    return attrs


def field(
    label: Text,
    name: str,
    *,
    type_: str = "text",
    autocomplete: str = "",
    hint: Text = "",
    error: rx.Component | None = None,
    error_id: str = "",
    invalid: rx.Var[bool] | None = None,
    **props: Any,
) -> rx.Component:
    """A labelled text input whose id is its form name, described by its hint and its error.

    `error` shows under it with the id `error_id` (`<name>-error` unless given; a form-wide message elsewhere can
    be named instead); while `invalid` holds the input says so (`aria-invalid`).
    """
    if error is not None or error_id:
        error_id = error_id or f"{name}-error"
    attrs = described_by(f"{name}-hint" if has_text(hint) else "", error_id, invalid)
    control = rx.input(
        id=name,
        name=name,
        type=type_,
        auto_complete=autocomplete or None,
        size="3",
        width="100%",
        custom_attrs=attrs,
        **props,
    )
    return labelled(label, control, for_id=name, hint=hint, error=error)


def field_error(errors: rx.Var[dict[str, str]], key: str, id_: str) -> rx.Component:
    """The message `errors` holds for the field `key`, shown under it only when there is one."""
    return rx.cond(
        errors.contains(key),
        rx.text(errors[key], id=id_, class_name="field-error", size="2", color_scheme="red", role="alert"),
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


def form_card(title: Text, *children: rx.Component, level: int = 1) -> rx.Component:
    """A narrow centred card for account forms; its title a heading of `level` (the page's own title: 1)."""
    return rx.center(
        rx.card(
            rx.vstack(rx.heading(title, size="6", as_=f"h{level}"), *children, spacing="4", width="100%"),
            width="100%",
            max_width="26rem",
            size="3",
        ),
        width="100%",
        padding_top="2rem",
    )
