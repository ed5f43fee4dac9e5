"""The last periods under the payments list: revenue and active subscribers as charts, the same as a table.

The admin groups them by AD month, BS month or fiscal year (`#figures-grouping`). The charts are pictures for
people who would rather look (recharts, drawn in the browser); `#revenue-table` holds every figure they draw,
with each period's days in the admin's calendar, in words a screen reader reads, and the CSV button gives the
same numbers with both calendars' dates.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from khalti_portal.components.data_table import data_table
from khalti_portal.components.forms import labelled
from khalti_portal.components.styles import ACCENT
from khalti_portal.components.text import t
from khalti_portal.states.admin_payment_views import PeriodView
from khalti_portal.states.admin_payments import GROUPING_CHOICES
from khalti_portal.states.admin_payments import AdminPaymentsState as S

CHART_HEIGHT = 240
# The periods as recharts reads them: a list of plain objects (each PeriodView's fields by name).
CHART_DATA = S.periods.to(list[dict[str, Any]])
# The axis's numbers in the page's language: Devanagari digits with lakh grouping for a Nepali reader (the
# page's <html lang> follows the language switch); English keeps recharts' own numbers.
NUMBER_TICKS = (
    '(v) => document.documentElement.lang === "ne" ? '
    'Number(v).toLocaleString("en-IN").replace(/[0-9]/g, (d) => "०१२३४५६७८९"[d]) : v'
)


def _chart_card(title: rx.Var | str, chart_id: str, chart: rx.Component, note: rx.Var | str) -> rx.Component:
    """A chart under its heading; for assistive technology one image described in words (the table has the rest)."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", as_="h3"),
            rx.box(
                chart,
                id=chart_id,
                role="img",
                aria_label=t("{title}. The same figures are in the table below.", title=title),
                width="100%",
            ),
            rx.text(note, size="1", color_scheme="gray"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",  # a grid cell may shrink below the chart's own width on a phone
    )


def revenue_chart() -> rx.Component:
    """Revenue (paid minus refunded) per period, in rupees: a bar per period, below the axis when refunds won."""
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="label", tick_line=False, font_size=11),
        rx.recharts.y_axis(width=72, font_size=11, allow_decimals=False, tick_formatter=NUMBER_TICKS),
        rx.recharts.reference_line(y=0, stroke=rx.color("gray", 8)),
        rx.recharts.graphing_tooltip(),
        rx.recharts.bar(
            data_key="revenue_rupees",
            name=t("Revenue (Rs)"),
            fill=rx.color(ACCENT, 9),
            is_animation_active=False,
        ),
        data=CHART_DATA,
        height=CHART_HEIGHT,
        width="100%",
        margin={"top": 8, "right": 8, "left": 0, "bottom": 0},
    )


def subscribers_chart() -> rx.Component:
    """Active subscribers at the end of each period (the running one: now), grace included."""
    return rx.recharts.line_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="label", tick_line=False, font_size=11),
        rx.recharts.y_axis(width=40, font_size=11, allow_decimals=False, tick_formatter=NUMBER_TICKS),
        rx.recharts.graphing_tooltip(),
        rx.recharts.line(
            data_key="active",
            name=t("Active subscribers"),
            type_="linear",
            stroke=rx.color(ACCENT, 10),
            stroke_width=2,
            is_animation_active=False,
        ),
        data=CHART_DATA,
        height=CHART_HEIGHT,
        width="100%",
        margin={"top": 8, "right": 16, "left": 0, "bottom": 0},
    )


def period_row(p: PeriodView) -> rx.Component:
    """One period of the table: its days, what was paid, refunded, the revenue and the subscribers at its end."""
    return rx.table.row(
        rx.table.row_header_cell(p.label, white_space="nowrap", class_name="period-label"),
        # Two lines that do not wrap: a day in both calendars is long, and a phone scrolls the table sideways.
        rx.table.cell(
            rx.text(p.first_day + " –", white_space="nowrap"),
            rx.text(p.last_day, white_space="nowrap"),
            class_name="period-days",
        ),
        rx.table.cell(p.paid, white_space="nowrap"),
        rx.table.cell(p.refunded, white_space="nowrap"),
        rx.table.cell(p.revenue, white_space="nowrap", class_name="period-revenue"),
        rx.table.cell(p.active_text, class_name="period-active"),
        custom_attrs={"data-period": p.key},
    )


def grouping_choice() -> rx.Component:
    """AD months, BS months or fiscal years: the charts, the table and the CSV follow the choice."""
    control = rx.select.root(
        rx.select.trigger(id="figures-grouping"),
        rx.select.content(*(rx.select.item(t(name), value=value) for value, name in GROUPING_CHOICES)),
        value=S.grouping,
        on_change=S.group_by,
    )
    return labelled(t("Group by"), control, for_id="figures-grouping", width=None)


def monthly_figures() -> rx.Component:
    """The section: two charts side by side (stacked on a phone), then the table and its CSV download."""
    return rx.el.section(
        rx.vstack(
            rx.hstack(
                rx.heading(S.periods_heading, size="5", as_="h2", id="periods-heading"),
                rx.spacer(),
                grouping_choice(),
                rx.button(
                    rx.icon("download", size=16),
                    t("Figures (CSV)"),
                    on_click=S.download_monthly_csv,
                    variant="soft",
                    size="2",
                    id="download-monthly-csv",
                ),
                align="end",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            rx.grid(
                _chart_card(
                    S.revenue_heading,
                    "revenue-chart",
                    revenue_chart(),
                    t("Paid minus refunded, in rupees, per period in Nepal time."),
                ),
                _chart_card(
                    t("Active subscribers"),
                    "subscribers-chart",
                    subscribers_chart(),
                    t("At the end of each period (the running one: now), grace period included."),
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            data_table(
                (t("Period"), t("Days"), t("Paid"), t("Refunded"), t("Revenue"), t("Active at the end")),
                S.periods,
                period_row,
                id_="revenue-table",
                label=t("Revenue and subscribers by period"),
                size="1",
            ),
            spacing="3",
            width="100%",
        ),
        id="monthly-figures",
        aria_label=S.periods_heading,
        width="100%",
    )
