"""The last twelve months under the payments list: revenue and active subscribers as charts, the same as a table.

The charts are pictures for people who would rather look (recharts, drawn in the browser); `#revenue-table`
holds every figure they draw, in words a screen reader reads, and the CSV button gives the same numbers.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from khalti_portal.components.data_table import data_table
from khalti_portal.components.styles import ACCENT
from khalti_portal.states.admin_payment_views import MonthView
from khalti_portal.states.admin_payments import AdminPaymentsState as S

CHART_HEIGHT = 240
# The months as recharts reads them: a list of plain objects (each MonthView's fields by name).
CHART_DATA = S.months.to(list[dict[str, Any]])
TABLE_NOTE = "The same figures are in the table below."


def _chart_card(title: str, chart_id: str, chart: rx.Component, note: str) -> rx.Component:
    """A chart under its heading; for assistive technology one image described in words (the table has the rest)."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", as_="h3"),
            rx.box(chart, id=chart_id, role="img", aria_label=f"{title}. {TABLE_NOTE}", width="100%"),
            rx.text(note, size="1", color_scheme="gray"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",  # a grid cell may shrink below the chart's own width on a phone
    )


def revenue_chart() -> rx.Component:
    """Revenue (paid minus refunded) per month, in rupees: a bar per month, below the axis when refunds won."""
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="label", tick_line=False, font_size=11),
        rx.recharts.y_axis(width=64, font_size=11, allow_decimals=False),
        rx.recharts.reference_line(y=0, stroke=rx.color("gray", 8)),
        rx.recharts.graphing_tooltip(),
        rx.recharts.bar(
            data_key="revenue_rupees",
            name="Revenue (Rs)",
            fill=rx.color(ACCENT, 9),
            is_animation_active=False,
        ),
        data=CHART_DATA,
        height=CHART_HEIGHT,
        width="100%",
        margin={"top": 8, "right": 8, "left": 0, "bottom": 0},
    )


def subscribers_chart() -> rx.Component:
    """Active subscribers at the end of each month (the running month: now), grace included."""
    return rx.recharts.line_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="label", tick_line=False, font_size=11),
        rx.recharts.y_axis(width=40, font_size=11, allow_decimals=False),
        rx.recharts.graphing_tooltip(),
        rx.recharts.line(
            data_key="active",
            name="Active subscribers",
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


def month_row(m: MonthView) -> rx.Component:
    """One month of the table: what was paid, refunded, the revenue and the subscribers at its end."""
    return rx.table.row(
        rx.table.row_header_cell(m.label, white_space="nowrap"),
        rx.table.cell(m.paid, white_space="nowrap"),
        rx.table.cell(m.refunded, white_space="nowrap"),
        rx.table.cell(m.revenue, white_space="nowrap", class_name="month-revenue"),
        rx.table.cell(m.active, class_name="month-active"),
        custom_attrs={"data-month": m.month},
    )


def monthly_figures() -> rx.Component:
    """The section: two charts side by side (stacked on a phone), then the table and its CSV download."""
    return rx.el.section(
        rx.vstack(
            rx.hstack(
                rx.heading("The last 12 months", size="5", as_="h2"),
                rx.button(
                    rx.icon("download", size=16),
                    "Monthly figures (CSV)",
                    on_click=S.download_monthly_csv,
                    variant="soft",
                    size="2",
                    id="download-monthly-csv",
                ),
                justify="between",
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.grid(
                _chart_card(
                    "Revenue by month",
                    "revenue-chart",
                    revenue_chart(),
                    "Paid minus refunded, in rupees, by Nepal calendar month.",
                ),
                _chart_card(
                    "Active subscribers",
                    "subscribers-chart",
                    subscribers_chart(),
                    "At the end of each month (this month: now), grace period included.",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            data_table(
                ("Month", "Paid", "Refunded", "Revenue", "Active at month end"),
                S.months,
                month_row,
                id_="revenue-table",
                label="Revenue and subscribers by month",
                size="1",
            ),
            spacing="3",
            width="100%",
        ),
        id="monthly-figures",
        aria_label="The last 12 months",
        width="100%",
    )
