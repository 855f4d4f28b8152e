"""stock alerts

"Notify me when in stock" (issue 15): a partner user's subscription to an out-of-stock product, consumed
when the product can be ordered again. Goes with its user and its product (ON DELETE CASCADE).

Revision ID: 0055_stock_alerts
Revises: 0050_lifecycle
Create Date: 2026-12-05 03:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0055_stock_alerts'
down_revision = '0050_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stock_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stock_alerts_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_alerts_product_id_products'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_alerts')),
    sa.UniqueConstraint('user_id', 'product_id', name=op.f('uq_stock_alerts_user_id_product_id'))
    )
    with op.batch_alter_table('stock_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_alerts_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_alerts_product_id'))
    op.drop_table('stock_alerts')
