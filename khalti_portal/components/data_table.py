"""`data_table`: a header row over one row per item, scrolling sideways when the screen is narrower than it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx


def data_table(
    headers: Sequence[str], items: rx.Var[list[Any]], row: Callable[[Any], rx.Component], *, id_: str, **props: Any
) -> rx.Component:
    """A surface table with `id_`, one `row(item)` per item; `props` (e.g. `size`) go to the table itself."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(header) for header in headers])),
            rx.table.body(rx.foreach(items, row)),
            id=id_,
            variant="surface",
            width="100%",
            **props,
        ),
        overflow_x="auto",  # the page stays still; only the table scrolls on a phone
        width="100%",
    )
