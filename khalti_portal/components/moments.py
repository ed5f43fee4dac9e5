"""`moment_text`: a date and time from `i18n.dates` that wraps between its day and its time, never inside either."""

from __future__ import annotations

import reflex as rx


def _unbroken(text: rx.Var[str]) -> rx.Component:
    return rx.el.span(text, white_space="nowrap")


def moment_text(moment: rx.Var[str]) -> rx.Component:
    """`13 Poush 2083 (28 Dec 2026), 9:08 AM NPT` on a phone breaks after the comma, not in `9:08 AM`.

    The words are the same as the state's string (a test reading the element's text sees `format_moment`'s);
    a string without exactly one `, ` (another language's form, say) is shown as it is.
    """
    parts = moment.split(", ")
    return rx.cond(
        parts.length() == 2,
        rx.fragment(_unbroken(parts[0]), ", ", _unbroken(parts[1])),
        rx.fragment(moment),
    )
