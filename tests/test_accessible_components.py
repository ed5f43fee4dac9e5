"""The shared components that keep pages usable by keyboard and screen reader, as the page compiles them.

The browser tests (`tests/e2e/test_accessibility.py`) run axe on every page; these say, without a browser, what
each building block promises: one element per link-button, inputs tied to their hint and error, words beside
every spinner, one empty-state shape, and the skip link and landmarks in the page wrapper.
"""

from __future__ import annotations

import re

import reflex as rx

from khalti_portal.components import layout
from khalti_portal.components.actions import link_button
from khalti_portal.components.data_table import data_table
from khalti_portal.components.forms import described_by, field, form_card
from khalti_portal.components.placeholders import empty_state, loading
from khalti_portal.components.styles import GLOBAL_CSS


def test_a_link_button_is_one_link_with_the_id_and_the_words_not_a_button_inside_a_link() -> None:
    jsx = str(link_button("Renew", "/checkout/basic", id="renew", size="3"))
    assert jsx.startswith("jsx(RadixThemesButton,{asChild:true")
    assert 'jsx(ReactRouterLink,{id:"renew"' in jsx and 'to:"/checkout/basic"' in jsx and '"Renew"' in jsx
    assert jsx.count("RadixThemesButton") == 1 and "RadixThemesLink" not in jsx


def test_an_input_is_described_by_its_hint_and_its_error_and_says_when_it_is_wrong() -> None:
    wrong = rx.Var.create(True)
    jsx = str(field("Email", "email", hint="For receipts.", error=rx.text("bad", id="email-error"), invalid=wrong))
    assert '"aria-describedby":"email-hint email-error"' in jsx
    assert '"aria-invalid":' in jsx
    assert 'id:"email-hint"' in jsx and 'htmlFor:"email"' in jsx


def test_an_input_without_hint_or_error_claims_no_description() -> None:
    assert described_by() == {}
    assert "aria-describedby" not in str(field("Name", "display_name"))
    assert described_by(error_id="form-error") == {"aria-describedby": "form-error"}


def test_a_spinner_never_shows_without_words_and_is_announced() -> None:
    jsx = str(loading("Loading payments…"))
    assert "RadixThemesSpinner" in jsx and "Loading payments\\u2026" in jsx and 'role:"status"' in jsx


def test_an_empty_list_says_so_in_one_shape_with_its_next_action() -> None:
    jsx = str(empty_state("No plans yet.", rx.button("Create one"), id_="plans-empty"))
    assert re.search(r'className:"[^"]*\bempty-state\b', jsx) and 'id:"plans-empty"' in jsx
    assert "No plans yet." in jsx and "Create one" in jsx


def test_a_wide_table_scrolls_in_a_named_region_the_keyboard_reaches() -> None:
    jsx = str(data_table(("Plan",), rx.Var.create(["x"]), lambda _: rx.table.row(), id_="t", label="Plans"))
    assert '"aria-label":"Plans"' in jsx and 'role:"region"' in jsx and "tabIndex:0" in jsx
    assert ".scroll-region .rt-TableRoot .rt-ScrollAreaViewport" in GLOBAL_CSS  # Radix's own scroller stands aside


def test_a_form_card_title_is_the_page_heading_unless_it_is_a_later_section() -> None:
    assert 'as:"h1"' in str(form_card("Sign in"))
    assert 'as:"h2"' in str(form_card("Change password", level=2))


def test_the_page_wrapper_starts_with_the_skip_link_to_the_main_landmark() -> None:
    jsx = str(layout.layout(rx.text("page body")))
    skip = jsx.index('id:"skip-link"')
    assert skip < jsx.index("emulator-banner") < jsx.index('id:"main-content"')
    assert re.search(r'jsx\("main",\{.*?id:"main-content"', jsx), "the content sits in a <main>"
    assert 'jsx("header"' in jsx and 'jsx("nav"' in jsx
    assert "tabIndex:-1" in jsx  # the skip link can move the focus there
