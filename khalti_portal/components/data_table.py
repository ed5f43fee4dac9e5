"""`data_table`: a header row over one row per item, scrolling sideways when narrow; `pager` to move through pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx


def data_table(
    headers: Sequence[str],
    items: rx.Var[list[Any]],
    row: Callable[[Any], rx.Component],
    *,
    id_: str,
    label: str,
    **props: Any,
) -> rx.Component:
    """A surface table with `id_`, one `row(item)` per item; `props` (e.g. `size`) go to the table itself.

    The box around it is the one that scrolls sideways, a region named `label` that the keyboard can reach
    (a table of text only would otherwise leave its hidden columns out of reach).
    """
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(header) for header in headers])),
            rx.table.body(rx.foreach(items, row)),
            id=id_,
            variant="surface",
            width="100%",
            **props,
        ),
        class_name="scroll-region",  # the page stays still; only the table scrolls on a phone
        tab_index=0,
        custom_attrs={"role": "region", "aria-label": label},
        width="100%",
    )


def pager(
    *,
    id_prefix: str,
    page: rx.Var[int],
    pages: rx.Var[int],
    total: rx.Var[int],
    noun: str,
    go_to_page: Callable[[Any], Any],
    words: rx.Var[str] | None = None,
    previous: rx.Var | str = "Previous",
    next_: rx.Var | str = "Next",
) -> rx.Component:
    """Previous, "Page 2 of 5 · 230 payment(s)", Next: ids `<id_prefix>-prev`, `-page`, `-next`.

    A translated page passes `words` (where it is, written on the server in the reader's language and digits)
    and the buttons' words through `t`.
    """
    where = words if words is not None else rx.text.span("Page ", page, " of ", pages, " · ", total, f" {noun}")
    return rx.hstack(
        rx.button(
            previous,
            size="1",
            variant="soft",
            id=f"{id_prefix}-prev",
            disabled=page <= 1,
            on_click=go_to_page(page - 1),
        ),
        rx.text(where, size="2", id=f"{id_prefix}-page"),
        rx.button(
            next_,
            size="1",
            variant="soft",
            id=f"{id_prefix}-next",
            disabled=page >= pages,
            on_click=go_to_page(page + 1),
        ),
        align="center",
        spacing="3",
    )
