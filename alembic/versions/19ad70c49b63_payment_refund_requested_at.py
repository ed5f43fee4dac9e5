"""payment.refund_requested_at: a refund asked of Khalti, looked up by the reconciler until Khalti shows it

Revision ID: 19ad70c49b63
Revises: b7d2e91c5a40
Create Date: 2026-11-27 18:05:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import khalti_portal.db.types  # noqa: F401  (UTCDateTime)

# revision identifiers, used by Alembic.
revision: str = '19ad70c49b63'
down_revision: Union[str, Sequence[str], None] = "b7d2e91c5a40"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_requested_at', khalti_portal.db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('refund_requested_at')
