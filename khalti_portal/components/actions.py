"""`link_button`: a link drawn as a button — one element, one stop for the keyboard (never a button in a link)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink


def link_button(
    label: rx.Var | str | rx.Component, href: rx.Var | str, *, id: str = "", **button_props: Any
) -> rx.Component:
    """An `<a>` (the router's: no page reload) drawn as a Radix button; `id` and the words are on the link itself."""
    link = ReactRouterLink.create(label, to=href, **({"id": id} if id else {}))
    return rx.button(link, as_child=True, **button_props)
