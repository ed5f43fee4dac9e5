"""Rupees on screen and back: lakh grouping, exact paisa, clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khalti_portal.billing.money import MAX_PAISA, MoneyError, format_rupees, parse_rupees


@pytest.mark.parametrize(
    ("paisa", "text"),
    [
        (10_000_000, "Rs 1,00,000"),
        (129_950, "Rs 1,299.50"),
        (100_000, "Rs 1,000"),
        (49_900, "Rs 499"),
        (1_000, "Rs 10"),
        (1_299, "Rs 12.99"),
        (5, "Rs 0.05"),
        (0, "Rs 0"),
        (1_234_567_801, "Rs 1,23,45,678.01"),
        (-50_000, "-Rs 500"),
    ],
)
def test_format_rupees(paisa, text):
    assert format_rupees(paisa) == text


@pytest.mark.parametrize("bad", [12.99, "1299", True, None])
def test_format_rupees_takes_only_integer_paisa(bad):
    with pytest.raises(TypeError):
        format_rupees(bad)


@pytest.mark.parametrize(
    ("text", "paisa"),
    [
        ("12.99", 1299),
        ("1,00,000", 10_000_000),
        ("Rs 10", 1000),
        ("Rs. 1,299.50", 129_950),
        ("rs499", 49_900),
        ("NPR 5", 500),
        ("  499  ", 49_900),
        ("0.5", 50),
        (".75", 75),
        ("10.", 1000),
        ("1,000,000", 100_000_000),
        ("0", 0),
    ],
)
def test_parse_rupees(text, paisa):
    assert parse_rupees(text) == paisa


def test_parse_rupees_is_exact_where_float_is_not():
    # int(0.29 * 100) == 28 and int(1.15 * 100) == 114: the float bugs the Decimal path avoids.
    assert int(0.29 * 100) == 28
    assert parse_rupees("0.29") == 29
    assert parse_rupees("1.15") == 115
    assert parse_rupees("12.99") == 1299


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Enter an amount"),
        ("   ", "Enter an amount"),
        ("Rs", "Enter an amount"),
        ("abc", "is not an amount"),
        ("1.234", "two digits after the decimal point"),
        ("-5", "cannot be negative"),
        ("Rs -5", "cannot be negative"),
        ("NaN", "is not an amount"),
        ("inf", "is not an amount"),
        ("Infinity", "is not an amount"),
        ("1e5", "is not an amount"),
        ("1,,000", "is not an amount"),
        ("1 000", "is not an amount"),
        ("१२३", "is not an amount"),
        ("99999999999", "too large"),
    ],
)
def test_parse_rupees_refuses_with_a_readable_message(text, says):
    with pytest.raises(MoneyError, match=says) as caught:
        parse_rupees(text)
    assert isinstance(caught.value, ValueError)


def test_parse_rupees_accepts_the_largest_storable_amount():
    assert parse_rupees(format_rupees(MAX_PAISA)) == MAX_PAISA


@given(st.integers(min_value=1000, max_value=20_000_000))
def test_format_then_parse_round_trips_exactly(paisa):
    assert parse_rupees(format_rupees(paisa)) == paisa
