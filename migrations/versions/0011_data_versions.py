"""data versions

One counter per table, incremented by every transaction that writes to the table (portal.core.versions):
list pages key their ETag on the versions of the tables they show (portal.pages.conditional).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_versions',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions'))
    )


def downgrade():
    op.drop_table('data_versions')
