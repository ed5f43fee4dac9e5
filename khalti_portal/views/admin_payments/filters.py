"""The bar over the payments list: status filter, search, the days created on, refresh and the CSV download.

The date boxes read the calendar the admin reads (BS for a BS reader, AD otherwise); their label says which and
their hint how to give the other one.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import labelled
from khalti_portal.components.status import STATUS_WORDS
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.date_input import DATE_SHAPE
from khalti_portal.states.admin_payments import ALL, STATUS_CHOICES
from khalti_portal.states.admin_payments import AdminPaymentsState as S

# The status filter's words: the badges' words, and "all" for every status.
CHOICE_WORDS = {ALL: N_("all"), **STATUS_WORDS}


def status_filter() -> rx.Component:
    """Which statuses the list shows."""
    control = rx.select.root(
        rx.select.trigger(id="payment-status-filter"),
        rx.select.content(*(rx.select.item(t(CHOICE_WORDS[value]), value=value) for value in STATUS_CHOICES)),
        value=S.status_filter,
        on_change=S.filter_status,
    )
    return labelled(t("Status"), control, for_id="payment-status-filter", width=None)


def date_box(field: str, words: rx.Var | str, typed: rx.Var) -> rx.Component:
    """One date box (`created_from` / `created_to`), labelled with the calendar it reads and described by the hint."""
    box_id = f"payment-{field.replace('_', '-')}"
    box = rx.input(
        id=box_id,
        name=field,
        default_value=typed,
        max_length=32,
        placeholder=t(DATE_SHAPE),
        auto_complete="off",
        spell_check=False,
        width="100%",
        custom_attrs={"aria-describedby": "payment-dates-hint"},
    )
    return rx.vstack(
        rx.el.label(
            t("{box} ({calendar})", box=words, calendar=S.date_calendar),
            html_for=box_id,
            font_weight="500",
            font_size="0.95rem",
        ),
        box,
        spacing="1",
        width="9.5rem",
    )


def search_form() -> rx.Component:
    """Search by username, order id or pidx, between two days; Clear shows only while a search or dates are on."""
    box = rx.input(
        id="payment-search",
        name="q",
        default_value=S.search_text,
        max_length=64,
        placeholder=t("username, order id or pidx"),
        auto_complete="off",
        spell_check=False,
        width="100%",
    )
    return rx.form(
        rx.hstack(
            labelled(t("Search"), box, for_id="payment-search", width="18rem", max_width="100%"),
            date_box("created_from", t("From"), S.created_from_text),
            date_box("created_to", t("To"), S.created_to_text),
            rx.button(t("Search"), type="submit", id="payment-search-submit"),
            rx.cond(
                (S.search_text != "") | (S.dates_in_words != ""),
                rx.button(
                    t("Clear"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    id="payment-search-clear",
                    on_click=S.clear_search,
                ),
            ),
            align="end",
            spacing="2",
            wrap="wrap",
        ),
        rx.text(S.date_hint, id="payment-dates-hint", size="1", color_scheme="gray"),
        rx.cond(
            S.dates_in_words != "",
            rx.text(S.dates_in_words, id="payment-dates-in-force", size="2", weight="medium"),
        ),
        on_submit=S.search,
        key=S.search_key,
        max_width="100%",
    )


def filter_bar() -> rx.Component:
    """Filter and search on the left, refresh and download on the right."""
    return rx.hstack(
        status_filter(),
        search_form(),
        rx.spacer(),
        rx.button(t("Refresh"), variant="soft", on_click=S.refresh, id="payments-refresh"),
        rx.button(
            rx.icon("download", size=16), t("Download CSV"), variant="soft", on_click=S.download_csv, id="payments-csv"
        ),
        align="end",
        spacing="3",
        wrap="wrap",
        width="100%",
    )
