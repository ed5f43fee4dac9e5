"""The audit vocabulary: every source and kind fits its column, is stored as its text, and nothing else is."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from khalti_portal.billing.audit import AuditKind, AuditSource, record_event


def test_every_word_fits_the_sixteen_character_columns():
    assert all(1 <= len(word) <= 16 for word in [*AuditSource, *AuditKind])


def test_the_stored_words_are_the_values(world):
    with Session(world.engine) as session:
        event = record_event(session, at=world.now(), source=AuditSource.RECONCILER, kind=AuditKind.LOOKUP_ERROR)
        session.commit()
        ident = event.id
    with world.engine.connect() as conn:
        row = conn.execute(text("SELECT source, kind FROM paymentevent WHERE id = :id"), {"id": ident}).one()
    assert tuple(row) == ("reconciler", "lookup_error")


def test_a_word_outside_the_vocabulary_is_refused(world):
    with Session(world.engine) as session:
        with pytest.raises(ValueError, match="'webhook' is not a valid AuditSource"):
            record_event(session, at=world.now(), source="webhook", kind=AuditKind.LOOKUP)
        with pytest.raises(ValueError, match="'poke' is not a valid AuditKind"):
            record_event(session, at=world.now(), source=AuditSource.ADMIN, kind="poke")
