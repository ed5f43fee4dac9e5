"""`EnumText`: a payment's status is stored as the enum's value in the same VARCHAR and read back as the enum."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col, select, update

from khalti_portal.db.models import Payment, PaymentStatus


def stored_text(world, payment_id: int) -> str:
    with world.engine.connect() as conn:
        return conn.execute(text("SELECT status FROM payment WHERE id = :id"), {"id": payment_id}).scalar_one()


def test_the_stored_text_is_the_value_and_it_reads_back_as_the_enum(world):
    payment = world.payment(user_id=world.user(), plan=world.plan(), status=PaymentStatus.COMPLETED)

    assert stored_text(world, payment.id) == "completed"  # the value, not the name 'COMPLETED'
    read = world.get(Payment, payment.id).status
    assert read is PaymentStatus.COMPLETED
    with Session(world.engine) as session:
        assert session.exec(select(Payment.status).where(Payment.id == payment.id)).one() is PaymentStatus.COMPLETED


def test_a_value_given_as_text_is_stored_and_compared_the_same(world):
    payment = world.payment(user_id=world.user(), plan=world.plan())
    with Session(world.engine) as session:
        session.exec(update(Payment).where(col(Payment.id) == payment.id).values(status="flagged"))
        session.commit()
        found = session.exec(select(Payment.id).where(Payment.status == PaymentStatus.FLAGGED)).all()

    assert stored_text(world, payment.id) == "flagged" and found == [payment.id]


def test_an_unknown_status_is_refused_on_the_way_in_and_out(world):
    payment = world.payment(user_id=world.user(), plan=world.plan())
    with Session(world.engine) as session, pytest.raises(StatementError, match="'paid' is not a PaymentStatus"):
        session.exec(update(Payment).where(col(Payment.id) == payment.id).values(status="paid"))
    with world.engine.begin() as conn:
        conn.execute(text("UPDATE payment SET status = 'COMPLETED' WHERE id = :id"), {"id": payment.id})
    with pytest.raises(ValueError, match="'COMPLETED' is not a PaymentStatus"):
        world.get(Payment, payment.id)
