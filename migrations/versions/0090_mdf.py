"""market development funds

Budgets per partner per quarter, requests for funds with their decision, claim, reimbursement and payment,
and the claims' proof-of-performance files (SPEC §6, issue 11). Hand-checked: batch mode (SQLite) and
PostgreSQL alike.

Revision ID: 0090_mdf
Revises: 0080_rebates
Create Date: 2026-12-05 02:20:31.650332

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0090_mdf'
down_revision = '0080_rebates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mdf_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_mdf_budgets_amount_not_negative')),
    sa.CheckConstraint('quarter >= 1 AND quarter <= 4', name=op.f('ck_mdf_budgets_quarter_range')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_mdf_budgets_partner_id_partners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_mdf_budgets_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mdf_budgets')),
    sa.UniqueConstraint('partner_id', 'year', 'quarter', name=op.f('uq_mdf_budgets_partner_id_year_quarter'))
    )
    with op.batch_alter_table('mdf_budgets', schema=None) as batch_op:
        batch_op.create_index('ix_mdf_budgets_period', ['year', 'quarter', 'partner_id'], unique=False)

    op.create_table('mdf_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('requested_cents', sa.BigInteger(), nullable=False),
    sa.Column('approved_cents', sa.BigInteger(), nullable=True),
    sa.Column('reimbursed_cents', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('claim_due_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_cents', sa.BigInteger(), nullable=True),
    sa.Column('leads', sa.Integer(), nullable=True),
    sa.Column('pipeline_cents', sa.BigInteger(), nullable=True),
    sa.Column('revenue_cents', sa.BigInteger(), nullable=True),
    sa.Column('claim_notes', sa.Text(), nullable=False),
    sa.Column('claimed_by', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_decided_by', sa.Integer(), nullable=True),
    sa.Column('claim_decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payment_reference', sa.String(length=80), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lapsed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('approved_cents IS NULL OR (approved_cents > 0 AND approved_cents <= requested_cents)', name=op.f('ck_mdf_requests_approved_range')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_mdf_requests_dates_order')),
    sa.CheckConstraint('quarter >= 1 AND quarter <= 4', name=op.f('ck_mdf_requests_quarter_range')),
    sa.CheckConstraint('reimbursed_cents IS NULL OR (reimbursed_cents >= 0 AND reimbursed_cents <= approved_cents)', name=op.f('ck_mdf_requests_reimbursed_range')),
    sa.CheckConstraint('requested_cents > 0', name=op.f('ck_mdf_requests_requested_positive')),
    sa.ForeignKeyConstraint(['claim_decided_by'], ['users.id'], name=op.f('fk_mdf_requests_claim_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['claimed_by'], ['users.id'], name=op.f('fk_mdf_requests_claimed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_mdf_requests_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_mdf_requests_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_mdf_requests_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mdf_requests'))
    )
    with op.batch_alter_table('mdf_requests', schema=None) as batch_op:
        batch_op.create_index('ix_mdf_requests_claim_due', ['status', 'claim_due_on'], unique=False)
        batch_op.create_index('ix_mdf_requests_partner_period', ['partner_id', 'year', 'quarter', 'status'], unique=False)
        batch_op.create_index('ix_mdf_requests_status_created', ['status', 'created_at'], unique=False)

    op.create_table('mdf_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_mdf_files_partner_id_partners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['mdf_requests.id'], name=op.f('fk_mdf_files_request_id_mdf_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_mdf_files_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mdf_files'))
    )
    with op.batch_alter_table('mdf_files', schema=None) as batch_op:
        batch_op.create_index('ix_mdf_files_request', ['request_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('mdf_files', schema=None) as batch_op:
        batch_op.drop_index('ix_mdf_files_request')

    op.drop_table('mdf_files')
    with op.batch_alter_table('mdf_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_mdf_requests_status_created')
        batch_op.drop_index('ix_mdf_requests_partner_period')
        batch_op.drop_index('ix_mdf_requests_claim_due')

    op.drop_table('mdf_requests')
    with op.batch_alter_table('mdf_budgets', schema=None) as batch_op:
        batch_op.drop_index('ix_mdf_budgets_period')

    op.drop_table('mdf_budgets')
