"""userprofile.reminders_enabled: renewal reminders on unless the subscriber turned them off

Revision ID: a3f7c2e915d8
Revises: 8c41f2d9e6b3
Create Date: 2026-11-27 23:40:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a3f7c2e915d8"
down_revision: Union[str, Sequence[str], None] = "8c41f2d9e6b3"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders_enabled", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.drop_column("reminders_enabled")
