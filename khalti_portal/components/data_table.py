"""`data_table`: a header row over one row per item, scrolling sideways when narrow; `pager` to move through pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from khalti_portal.components.text import t


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
    go_to_page: Callable[[Any], Any],
    summary: rx.Var[str],
) -> rx.Component:
    """Previous, "Page 2 of 5 · 230 payments", Next: ids `<id_prefix>-prev`, `-page`, `-next`.

    `summary` is that middle line, written by the state in the reader's language (digits included).
    """
    return rx.hstack(
        rx.button(
            t("Previous"),
            size="1",
            variant="soft",
            id=f"{id_prefix}-prev",
            disabled=page <= 1,
            on_click=go_to_page(page - 1),
        ),
        rx.text(summary, size="2", id=f"{id_prefix}-page"),
        rx.button(
            t("Next"),
            size="1",
            variant="soft",
            id=f"{id_prefix}-next",
            disabled=page >= pages,
            on_click=go_to_page(page + 1),
        ),
        align="center",
        spacing="3",
    )
