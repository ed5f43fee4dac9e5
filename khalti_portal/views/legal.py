"""The section of `/terms` and `/privacy`: the merchant's text under its heading, or a note that it is not written.

The heading and text are the merchant's (in the reader's language when they wrote that file); our words come in
translated (`missing`, through `t`) and the spinner says what is coming.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.placeholders import loading
from khalti_portal.components.text import t
from khalti_portal.states.legal import LegalState as S
from khalti_portal.views.members import MARKDOWN_STYLE

# The shipped templates open with a blockquote saying they must be adapted: make it stand out.
LEGAL_STYLE = {
    **MARKDOWN_STYLE,
    "& blockquote": {
        "border_left": "4px solid var(--amber-9)",
        "background": "var(--amber-3)",
        "padding": "0.5em 1em",
        "margin": "0.5em 0 1em",
        "border_radius": "var(--radius-2)",
    },
    "& em": {"font_style": "italic"},
    "& strong": {"font_weight": "600"},
}


def legal_document(missing: rx.Var | str) -> rx.Component:
    """The page's heading and body, or `missing` while the merchant has no such file."""
    return rx.cond(
        S.loaded,
        rx.cond(
            S.found,
            rx.el.article(
                rx.heading(S.title, size="7", as_="h1"),
                rx.html(S.html, class_name="legal-content", style=LEGAL_STYLE),
                id="legal-document",
                max_width="44rem",
                width="100%",
            ),
            rx.callout(missing, icon="info", color_scheme="gray", id="legal-missing"),
        ),
        loading(t("Loading the page…")),
    )
