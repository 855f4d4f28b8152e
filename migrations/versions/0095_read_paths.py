"""indexes for three read paths the bench's realistic mix found slow at the large seed

- ``orders (partner_id, status, created_at, id)``: a partner's order history filtered by status, newest first.
  Without it SQLite walked the status index (most orders are delivered) and checked the partner row by row.
- ``audit_entries (lower(entity_type), at, id)`` and ``(partner_id, lower(entity_type), at, id)``: the audit
  log filtered by record type (matched without case), the whole log and a partner's. Without them a type with
  few or no entries scanned the whole log; with the first alone a partner's log filtered by a common type
  walked every entry of that type.
- ``rebate_statement_lines (adjusts_id)`` only where it is set: adjustment lines are a handful, the tens of
  thousands of order and credit lines a calculation writes (and a re-run deletes) no longer go into it.

Revision ID: 0095_read_paths
Revises: 0090_mdf
Create Date: 2026-12-05 12:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0095_read_paths'
down_revision = '0090_mdf'
branch_labels = None
depends_on = None

SET = sa.text("adjusts_id IS NOT NULL")


def upgrade():
    op.create_index("ix_orders_partner_status_created", "orders", ["partner_id", "status", "created_at", "id"])
    op.create_index("ix_audit_entries_type_at", "audit_entries", [sa.text("lower(entity_type)"), "at", "id"])
    op.create_index("ix_audit_entries_partner_type_at", "audit_entries",
                    ["partner_id", sa.text("lower(entity_type)"), "at", "id"])
    op.drop_index("ix_rebate_statement_lines_adjusts_id", table_name="rebate_statement_lines")
    op.create_index("ix_rebate_statement_lines_adjusts_id", "rebate_statement_lines", ["adjusts_id"],
                    sqlite_where=SET, postgresql_where=SET)


def downgrade():
    op.drop_index("ix_rebate_statement_lines_adjusts_id", table_name="rebate_statement_lines")
    op.create_index("ix_rebate_statement_lines_adjusts_id", "rebate_statement_lines", ["adjusts_id"])
    op.drop_index("ix_audit_entries_partner_type_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_type_at", table_name="audit_entries")
    op.drop_index("ix_orders_partner_status_created", table_name="orders")
