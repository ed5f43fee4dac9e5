"""The subscriber's paid time as a timeline (`#access-timeline`): the current period, later ones, and today.

The bar is a picture (hidden from screen readers); the list under it says the same in words.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.styles import ACCENT
from khalti_portal.components.text import t
from khalti_portal.states.dashboard import DashboardState as S
from khalti_portal.states.timeline_views import CURRENT, ENDED, LATER, TimelineSegment

BAR_HEIGHT = "2rem"


def _colour(kind: rx.Var[str]) -> rx.Var:
    """The current period in the accent's strong shade, later ones lighter, an ended one grey."""
    return rx.match(kind, (CURRENT, rx.color(ACCENT, 9)), (LATER, rx.color(ACCENT, 6)), rx.color("gray", 8))


def _swatch(colour: rx.Var | str, *, width: str = "0.9rem") -> rx.Component:
    return rx.box(width=width, height="0.9rem", background=colour, border_radius="3px", flex_shrink="0")


def segment_bar(seg: TimelineSegment) -> rx.Component:
    """One period's stretch of the bar, placed by the server's percentages."""
    return rx.box(
        position="absolute",
        top="0",
        bottom="0",
        left=seg.left,
        width=seg.width,
        min_width="3px",
        background=_colour(seg.kind),
        border_right=f"2px solid {rx.color('gray', 1)}",
        class_name="timeline-segment",
        custom_attrs={"data-kind": seg.kind, "data-starts-at": seg.starts_iso, "data-ends-at": seg.ends_iso},
    )


def segment_item(seg: TimelineSegment) -> rx.Component:
    """One period in words: plan, days, and whether it runs now, ended, or starts later."""
    return rx.el.li(
        rx.hstack(
            _swatch(_colour(seg.kind)),
            rx.text(
                rx.text.strong(seg.plan_name),
                ": ",
                seg.starts,
                " – ",
                seg.ends,
                rx.match(
                    seg.kind,
                    (CURRENT, " (" + t("now") + ")"),
                    (ENDED, " (" + t("ended; grace period now") + ")"),
                    (LATER, " (" + t("paid, starts later") + ")"),
                    "",
                ),
                size="2",
            ),
            spacing="2",
            align="center",
        ),
        class_name="timeline-item",
    )


def today_mark() -> rx.Component:
    """A line across the bar where today is."""
    return rx.box(
        position="absolute",
        top="-0.35rem",
        bottom="-0.35rem",
        left=S.timeline.today_left,
        width="3px",
        margin_left="-1px",
        background=rx.color("gray", 12),
        border_radius="2px",
        id="timeline-today",
        custom_attrs={"data-today": S.timeline.today_iso},
    )


def access_timeline() -> rx.Component:
    """The card: the bar with today's mark, its first and last day, and the list in words; nothing without periods."""
    tl = S.timeline
    return rx.cond(
        tl.segments.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading(t("Your paid time"), size="4", as_="h2"),
                rx.box(
                    rx.foreach(tl.segments, segment_bar),
                    today_mark(),
                    position="relative",
                    height=BAR_HEIGHT,
                    width="100%",
                    background=rx.color("gray", 3),
                    border_radius="var(--radius-2)",
                    margin_y="0.35rem",
                    aria_hidden="true",
                    class_name="timeline-bar",
                ),
                rx.hstack(
                    # Both calendars' day is long for half a phone: balanced lines break at "(", not in the AD day.
                    rx.text(tl.first_day, size="1", color_scheme="gray", text_wrap="balance"),
                    rx.text(tl.last_day, size="1", color_scheme="gray", text_wrap="balance", text_align="right"),
                    justify="between",
                    width="100%",
                    aria_hidden="true",
                ),
                rx.el.ul(
                    rx.foreach(tl.segments, segment_item),
                    rx.el.li(
                        rx.hstack(
                            _swatch(rx.color("gray", 12), width="3px"),
                            rx.text(t("Today:"), " ", tl.today, size="2"),
                            spacing="2",
                            align="center",
                        ),
                        class_name="timeline-item",
                    ),
                    list_style="none",
                    padding="0",
                    margin="0",
                    display="flex",
                    flex_direction="column",
                    gap="0.25rem",
                ),
                spacing="2",
                width="100%",
            ),
            id="access-timeline",
            width="100%",
        ),
    )
