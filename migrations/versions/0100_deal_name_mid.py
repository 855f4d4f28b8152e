"""deal name middle

The middle four characters of a registration's normalised name (``name_mid``), indexed: the conflict check's
third fuzzy anchor, so a near-identical name with a typo near both ends is still a candidate (issue 12).
Existing rows get it from their stored ``name_key`` in SQL, as ``portal.deals.matching.name_mid`` computes it:
from character ``max(length // 2 - 2, 0)`` (0-based), four characters (the whole key when it is shorter).
SQLite and PostgreSQL both count characters in ``length``/``substr`` and truncate the integer division.

Revision ID: 0100_deal_name_mid
Revises: 0095_read_paths
Create Date: 2026-12-06 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0100_deal_name_mid'
down_revision = '0095_read_paths'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_mid', sa.String(length=8), nullable=False, server_default=''))
    # substr is 1-based: the start is max(length / 2 - 2, 0) + 1, written with CASE (no max() on both)
    op.execute("UPDATE deals SET name_mid = substr(name_key, CASE WHEN length(name_key) < 6 THEN 1 "
               "ELSE length(name_key) / 2 - 1 END, 4)")
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_name_mid', ['name_mid'], unique=False)


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_name_mid')
        batch_op.drop_column('name_mid')
