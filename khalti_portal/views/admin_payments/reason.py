"""The Reason box every admin decision asks for (refunds, flagged payments, access by hand)."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import described_by, labelled

REASON_HINT = "Required, at most 500 characters. Kept in the audit trail with your name."


def reason_field(input_id: str, rows: str) -> rx.Component:
    """A labelled text area named `reason`, with the hint saying where the reason ends up."""
    box = rx.text_area(
        id=input_id,
        name="reason",
        max_length=500,
        rows=rows,
        width="100%",
        custom_attrs=described_by(f"{input_id}-hint", f"{input_id.removesuffix('-reason')}-error"),
    )
    return labelled("Reason", box, for_id=input_id, hint=REASON_HINT, spacing="2")
