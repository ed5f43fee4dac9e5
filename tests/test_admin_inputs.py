"""The input checks the admin operations share: ids from the browser, day counts, reasons."""

from __future__ import annotations

import pytest

from khalti_portal.billing.admin.inputs import days_of, id_of, reason_problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        ("3", 3),
        (0, None),
        (-1, None),
        (True, None),
        (3.0, None),
        ("3.0", None),
        ("abc", None),
        ("", None),
        (None, None),
        (2**31, None),
        ("\u0663", None),
        ([3], None),
    ],
)
def test_ids_from_the_browser_are_checked(value: object, expected: int | None):
    assert id_of(value) == expected


def test_days_of_accepts_text_and_ints():
    assert [days_of(v) for v in ("1", " 30 ", 3650, "3650")] == [1, 30, 3650, 3650]


def test_one_day_count_rule_accepts_what_the_plan_form_and_access_by_hand_each_accepted():
    # The plan form took a leading "+" and zero padding; access by hand took ints. Both take all of it now.
    assert [days_of(v) for v in ("+30", "000000030", 30)] == [30, 30, 30]
    assert [days_of(v) for v in ("-5", "0", "3651", "1_0", "1.5", "\u0663", True, 2.0, None)] == [None] * 9


def test_a_reason_is_required_and_at_most_500_characters():
    assert reason_problem("  ") == "Give a reason: it is kept in the audit trail with your name."
    assert reason_problem(None) == "Give a reason: it is kept in the audit trail with your name."
    assert reason_problem("x" * 501) == "Keep the reason to 500 characters (it has 501)."
    assert reason_problem(" ok ") is None
