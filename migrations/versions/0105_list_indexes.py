"""covering indexes for the trainer's course figures; a partner's protected deals

``training.reports.course_stats`` (the trainer's first screen and the tracking page) counts enrolments,
completions, distinct quiz takers and passers and the average score per course. At the large seed (30,000
enrolments, 25,000 attempts) it read every row back from the tables; with these two indexes it reads the
indexes alone (about half the time).

``deals (partner_id, status, protection_ends_at)``: a partner's deals still protected (approved, protection
ending later). Without it SQLite took the expiry job's (status, protection_ends_at) index and sorted a third
of all registrations (40 ms at 100,000), like a partner's orders by status before 0095; a partner's few
hundred deals are then sorted newest first.

Revision ID: 0105_list_indexes
Revises: 0100_deal_name_mid
Create Date: 2026-12-05 13:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0105_list_indexes'
down_revision = '0100_deal_name_mid'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_enrolments_course_stats", "enrolments", ["course_id", "partner_id", "completed_at"])
    op.create_index("ix_quiz_attempts_course_stats", "quiz_attempts",
                    ["course_id", "user_id", "passed", "score", "partner_id", "submitted_at"])
    op.create_index("ix_deals_partner_status_protection", "deals", ["partner_id", "status", "protection_ends_at"])


def downgrade():
    op.drop_index("ix_deals_partner_status_protection", table_name="deals")
    op.drop_index("ix_quiz_attempts_course_stats", table_name="quiz_attempts")
    op.drop_index("ix_enrolments_course_stats", table_name="enrolments")
