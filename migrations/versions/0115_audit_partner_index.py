"""the audit log of some partners: a covering index for the page's ids

A channel manager reads the entries of their partners (at the large seed, 50 partners: about 10,000 entries),
newest first, often filtered by the action's prefix. With ``audit_entries (partner_id, at)`` SQLite read every
one of those rows and sorted them whole, each with its before/after values. ``(partner_id, at, id, action)``
replaces it: ``core.audit.page_of`` sorts the page's ids from the index alone (the action prefix checked there
too), then reads only the page's rows.

Revision ID: 0115_audit_partner_index
Revises: 0110_certified_index
Create Date: 2026-12-06 00:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0115_audit_partner_index'
down_revision = '0110_certified_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_entries_partner_at_action", "audit_entries", ["partner_id", "at", "id", "action"])
    op.drop_index("ix_audit_entries_partner_at", table_name="audit_entries")


def downgrade():
    op.create_index("ix_audit_entries_partner_at", "audit_entries", ["partner_id", "at"])
    op.drop_index("ix_audit_entries_partner_at_action", table_name="audit_entries")
