"""invoice, invoicecounter: numbered invoices and credit notes per Nepal fiscal year; userprofile.pan

Revision ID: c6d1e8b4a2f9
Revises: a3f7c2e915d8
Create Date: 2026-11-27 23:45:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import khalti_portal.db.types

# revision identifiers, used by Alembic.
revision: str = "c6d1e8b4a2f9"
down_revision: Union[str, Sequence[str], None] = "a3f7c2e915d8"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pan", sa.String(length=9), server_default="", nullable=False))
    op.create_table(
        "invoicecounter",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("fiscal_year", sa.String(length=7), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "fiscal_year"),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.String(length=7), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("issued_at", khalti_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("total_paisa", sa.Integer(), nullable=False),
        sa.Column("taxable_paisa", sa.Integer(), nullable=False),
        sa.Column("vat_paisa", sa.Integer(), nullable=False),
        sa.Column("vat_rate_percent", sa.Integer(), nullable=False),
        sa.Column("reverses_number", sa.String(length=40), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["localuser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("payment_id", "kind", name="uq_invoice_payment_kind"),
    )
    op.create_index(op.f("ix_invoice_payment_id"), "invoice", ["payment_id"], unique=False)
    op.create_index(op.f("ix_invoice_slug"), "invoice", ["slug"], unique=True)
    op.create_index(op.f("ix_invoice_user_id"), "invoice", ["user_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_invoice_user_id"), table_name="invoice")
    op.drop_index(op.f("ix_invoice_slug"), table_name="invoice")
    op.drop_index(op.f("ix_invoice_payment_id"), table_name="invoice")
    op.drop_table("invoice")
    op.drop_table("invoicecounter")
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.drop_column("pan")
