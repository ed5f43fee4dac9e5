"""What shows in place of content: `loading` (a spinner never without words) and `empty_state` (nothing to list)."""

from __future__ import annotations

import reflex as rx


def loading(words: str) -> rx.Component:
    """A spinner beside what is coming, said politely to screen readers (`role=status`, class `loading`)."""
    return rx.hstack(
        rx.spinner(size="2"),
        rx.text(words, size="2", color_scheme="gray"),
        role="status",
        class_name="loading",
        align="center",
        spacing="2",
    )


def empty_state(sentence: rx.Var | str, *actions: rx.Component, id_: str, icon: str = "inbox") -> rx.Component:
    """A table or list with nothing in it: a sentence and, where it helps, the next thing to do (`.empty-state`)."""
    return rx.vstack(
        rx.icon(icon, size=28, color=rx.color("gray", 10), aria_hidden="true"),
        rx.text(sentence, size="3", class_name="empty-state-text"),
        *actions,
        id=id_,
        class_name="empty-state",
        align="center",
        text_align="center",
        spacing="3",
        padding="2rem 1rem",
        border=f"1px dashed {rx.color('gray', 7)}",
        border_radius="var(--radius-3)",
        width="100%",
    )
