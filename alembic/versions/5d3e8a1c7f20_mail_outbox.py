"""outboxmessage: the mail outbox, written in the same transaction as the change that causes each message

Revision ID: 5d3e8a1c7f20
Revises: 19ad70c49b63
Create Date: 2026-11-27 22:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import khalti_portal.db.types  # noqa: F401  (UTCDateTime)

# revision identifiers, used by Alembic.
revision: str = '5d3e8a1c7f20'
down_revision: Union[str, Sequence[str], None] = "19ad70c49b63"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    utc = khalti_portal.db.types.UTCDateTime(timezone=True)
    op.create_table(
        'outboxmessage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('template', sa.String(length=64), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', utc, nullable=False),
        sa.Column('last_attempt_at', utc, nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_until', utc, nullable=True),
        sa.Column('claimed_by', sa.String(length=128), nullable=True),
        sa.Column('created_at', utc, nullable=False),
        sa.Column('sent_at', utc, nullable=True),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['localuser.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
        sa.UniqueConstraint('message_id'),
    )
    op.create_index('ix_outboxmessage_due', 'outboxmessage', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outboxmessage_payment_id'), 'outboxmessage', ['payment_id'], unique=False)
    op.create_index(op.f('ix_outboxmessage_status'), 'outboxmessage', ['status'], unique=False)
    op.create_index(op.f('ix_outboxmessage_user_id'), 'outboxmessage', ['user_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_outboxmessage_user_id'), table_name='outboxmessage')
    op.drop_index(op.f('ix_outboxmessage_status'), table_name='outboxmessage')
    op.drop_index(op.f('ix_outboxmessage_payment_id'), table_name='outboxmessage')
    op.drop_index('ix_outboxmessage_due', table_name='outboxmessage')
    op.drop_table('outboxmessage')
