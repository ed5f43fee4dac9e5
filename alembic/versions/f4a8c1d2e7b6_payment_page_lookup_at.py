"""payment.page_lookup_at: the pages' lookup limit lives on the payment, claimed as it is read

Revision ID: f4a8c1d2e7b6
Revises: e2b9d4c7a1f3
Create Date: 2026-11-28 01:00:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import khalti_portal.db.types

# revision identifiers, used by Alembic.
revision: str = "f4a8c1d2e7b6"
down_revision: Union[str, Sequence[str], None] = "e2b9d4c7a1f3"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("page_lookup_at", khalti_portal.db.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("page_lookup_at")
