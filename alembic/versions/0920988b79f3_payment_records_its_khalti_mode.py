"""payment records its khalti mode

Each payment says which Khalti it was made with (emulator / sandbox / live): a period paid in one mode
gives no access in another. Payments made before this revision are marked with the mode configured
when the migration runs (`KHALTI_ENV`, read through khalti_portal.config like every other setting):
that is the mode they were made in, since the app refuses to change modes without a restart.

Revision ID: 0920988b79f3
Revises: 4142a4fc01f0
Create Date: 2026-11-27 18:10:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from khalti_portal.config import get_settings

# revision identifiers, used by Alembic.
revision: str = '0920988b79f3'
down_revision: Union[str, Sequence[str], None] = '4142a4fc01f0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    mode = get_settings().khalti_env
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('khalti_mode', sa.String(length=8), nullable=True))
    op.execute(sa.text("UPDATE payment SET khalti_mode = :mode").bindparams(mode=mode))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.alter_column('khalti_mode', existing_type=sa.String(length=8), nullable=False)
        batch_op.create_check_constraint(
            'ck_payment_khalti_mode', "khalti_mode IN ('emulator', 'sandbox', 'live')"
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint('ck_payment_khalti_mode', type_='check')
        batch_op.drop_column('khalti_mode')
