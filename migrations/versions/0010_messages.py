"""reasons and notifications kept as message ids with parameters

Shown in the reader's language when read; the text columns stay for the rows written before.

Revision ID: 0010_messages
Revises: 0009_search
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_messages'
down_revision = '0009_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_messages', sa.JSON(), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('message_id')
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_column('reason_messages')
