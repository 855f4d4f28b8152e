"""rebates

Rebate programs with their ladder rungs and eligibility (tiers, partner types, product categories),
calculation runs (one program at a time: a unique running key), statements per partner and period with their
lines (orders, credits, adjustments of earlier approved periods) (SPEC §6).

Revision ID: 0080_rebates
Revises: 0070_deals
Create Date: 2026-12-05 02:23:10.991388

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0080_rebates'
down_revision = '0070_deals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rebate_programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('period_type', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_rebate_programs_range_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rebate_programs')),
    sa.UniqueConstraint('name', name=op.f('uq_rebate_programs_name'))
    )
    with op.batch_alter_table('rebate_programs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rebate_programs_status'), ['status'], unique=False)

    op.create_table('rebate_program_categories',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_rebate_program_categories_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['rebate_programs.id'], name=op.f('fk_rebate_program_categories_program_id_rebate_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'category_id', name=op.f('pk_rebate_program_categories'))
    )
    op.create_table('rebate_program_tiers',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['rebate_programs.id'], name=op.f('fk_rebate_program_tiers_program_id_rebate_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_rebate_program_tiers_tier_id_tiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'tier_id', name=op.f('pk_rebate_program_tiers'))
    )
    op.create_table('rebate_program_types',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('partner_type', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['rebate_programs.id'], name=op.f('fk_rebate_program_types_program_id_rebate_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'partner_type', name=op.f('pk_rebate_program_types'))
    )
    op.create_table('rebate_rungs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('threshold_cents', sa.BigInteger(), nullable=False),
    sa.Column('rate_thousandths', sa.Integer(), nullable=False),
    sa.CheckConstraint('rate_thousandths >= 0 AND rate_thousandths <= 100000', name=op.f('ck_rebate_rungs_rate_range')),
    sa.CheckConstraint('threshold_cents >= 0', name=op.f('ck_rebate_rungs_threshold_not_negative')),
    sa.ForeignKeyConstraint(['program_id'], ['rebate_programs.id'], name=op.f('fk_rebate_rungs_program_id_rebate_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rebate_rungs')),
    sa.UniqueConstraint('program_id', 'position', name=op.f('uq_rebate_rungs_program_id_position'))
    )
    op.create_table('rebate_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('running_key', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('statements', sa.Integer(), nullable=False),
    sa.Column('rebate_cents', sa.BigInteger(), nullable=False),
    sa.Column('started_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['rebate_programs.id'], name=op.f('fk_rebate_runs_program_id_rebate_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by'], ['users.id'], name=op.f('fk_rebate_runs_started_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rebate_runs')),
    sa.UniqueConstraint('running_key', name=op.f('uq_rebate_runs_running_key'))
    )
    with op.batch_alter_table('rebate_runs', schema=None) as batch_op:
        batch_op.create_index('ix_rebate_runs_program_created', ['program_id', 'created_at', 'id'], unique=False)

    op.create_table('rebate_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('revenue_cents', sa.BigInteger(), nullable=False),
    sa.Column('rung', sa.Integer(), nullable=False),
    sa.Column('rate_thousandths', sa.Integer(), nullable=False),
    sa.Column('earned_cents', sa.BigInteger(), nullable=False),
    sa.Column('adjustment_cents', sa.BigInteger(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('next_threshold_cents', sa.BigInteger(), nullable=True),
    sa.Column('revenue_to_next_cents', sa.BigInteger(), nullable=True),
    sa.Column('next_rate_thousandths', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payment_reference', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_rebate_statements_approved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_rebate_statements_partner_id_partners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['rebate_programs.id'], name=op.f('fk_rebate_statements_program_id_rebate_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['rebate_runs.id'], name=op.f('fk_rebate_statements_run_id_rebate_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rebate_statements')),
    sa.UniqueConstraint('number', name=op.f('uq_rebate_statements_number')),
    sa.UniqueConstraint('program_id', 'partner_id', 'period_start', name=op.f('uq_rebate_statements_program_id_partner_id_period_start'))
    )
    with op.batch_alter_table('rebate_statements', schema=None) as batch_op:
        batch_op.create_index('ix_rebate_statements_partner_period', ['partner_id', 'period_start', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rebate_statements_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_rebate_statements_status_period', ['status', 'period_start', 'id'], unique=False)

    op.create_table('rebate_statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('credit_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('adjusts_id', sa.Integer(), nullable=True),
    sa.Column('from_revenue_cents', sa.BigInteger(), nullable=True),
    sa.Column('to_revenue_cents', sa.BigInteger(), nullable=True),
    sa.Column('from_earned_cents', sa.BigInteger(), nullable=True),
    sa.Column('to_earned_cents', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['adjusts_id'], ['rebate_statements.id'], name=op.f('fk_rebate_statement_lines_adjusts_id_rebate_statements'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['credit_id'], ['credits.id'], name=op.f('fk_rebate_statement_lines_credit_id_credits'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_rebate_statement_lines_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['statement_id'], ['rebate_statements.id'], name=op.f('fk_rebate_statement_lines_statement_id_rebate_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rebate_statement_lines'))
    )
    with op.batch_alter_table('rebate_statement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rebate_statement_lines_adjusts_id'), ['adjusts_id'], unique=False)
        batch_op.create_index('ix_rebate_statement_lines_statement', ['statement_id', 'kind', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('rebate_statement_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_rebate_statement_lines_statement')
        batch_op.drop_index(batch_op.f('ix_rebate_statement_lines_adjusts_id'))

    op.drop_table('rebate_statement_lines')
    with op.batch_alter_table('rebate_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_rebate_statements_status_period')
        batch_op.drop_index(batch_op.f('ix_rebate_statements_run_id'))
        batch_op.drop_index('ix_rebate_statements_partner_period')

    op.drop_table('rebate_statements')
    with op.batch_alter_table('rebate_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_rebate_runs_program_created')

    op.drop_table('rebate_runs')
    op.drop_table('rebate_rungs')
    op.drop_table('rebate_program_types')
    op.drop_table('rebate_program_tiers')
    op.drop_table('rebate_program_categories')
    with op.batch_alter_table('rebate_programs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rebate_programs_status'))

    op.drop_table('rebate_programs')
