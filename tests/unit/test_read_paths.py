"""The indexes behind read paths that a realistic bench mix found slow (migrations 0095, 0105, 0110 and 0115): the
statements the pages build are answered from them. SQLite's plans are checked (its planner has no statistics,
so the index must fit the query); on PostgreSQL the indexes exist as declared."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from portal.core import audit
from portal.orders import orders
from portal.partners.service import partner_scope
from tests import factories


def _plan(db, stmt) -> str:
    conn = db.session.connection()
    sql = stmt.compile(conn, compile_kwargs={"literal_binds": True})
    return " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all())


def test_a_partners_history_filtered_by_status_reads_the_partner_and_status_index(db):
    user = factories.partner_user()
    stmt = orders.list_orders(user, orders.Filters(status="delivered"), columns=orders.HISTORY_COLUMNS)
    assert "ix_orders_partner_status_created (partner_id=? AND status=?)" in _plan(db, stmt)


@pytest.mark.parametrize("role", ["admin", "partner_admin"])
def test_the_audit_log_filtered_by_record_type_reads_the_type_index(db, role):
    reader = factories.vendor() if role == "admin" else factories.partner_user(role=factories.Role.PARTNER_ADMIN)
    stmt = audit.filtered(audit.visible_entries(reader, partner_scope), entity_type="Order")
    expected = "ix_audit_entries_type_at" if role == "admin" else "ix_audit_entries_partner_type_at"
    assert f"USING INDEX {expected} (" in _plan(db, stmt)


def test_a_channel_managers_audit_log_sorts_the_page_ids_from_the_partner_index(db):
    manager = factories.vendor(factories.Role.CHANNEL_MANAGER)
    for action in ("", "user."):
        stmt = audit.filtered(audit.visible_entries(manager, partner_scope), action=action)
        plan = _plan(db, audit.page_query(stmt, 3, 50))
        assert "SEARCH audit_entries USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
        assert "COVERING INDEX ix_audit_entries_partner_" in plan, plan


@pytest.mark.pg
def test_the_read_path_indexes_exist_and_the_adjustments_index_skips_order_lines(db):
    conn = db.session.connection()
    catalog = ("SELECT name, sql FROM sqlite_master WHERE type = 'index'" if conn.dialect.name == "sqlite"
               else "SELECT indexname, indexdef FROM pg_indexes")
    # the definitions without brackets, quotes, spaces or case: both databases' spelling compared alike
    defined = {name: "".join(c for c in (sql or "").lower() if c not in '()" ').replace("::text", "")
               for name, sql in conn.execute(text(catalog)).all()}
    assert "lowerentity_type,at,id" in defined["ix_audit_entries_type_at"]
    assert "partner_id,lowerentity_type,at,id" in defined["ix_audit_entries_partner_type_at"]
    assert "partner_id,at,id,action" in defined["ix_audit_entries_partner_at_action"]
    assert "ix_audit_entries_partner_at" not in defined
    assert "partner_id,status,created_at,id" in defined["ix_orders_partner_status_created"]
    assert "whereadjusts_idisnotnull" in defined["ix_rebate_statement_lines_adjusts_id"]
    assert "course_id,partner_id,completed_at" in defined["ix_enrolments_course_stats"]
    assert "course_id,user_id,passed,score,partner_id,submitted_at" in defined["ix_quiz_attempts_course_stats"]
    assert "partner_id,status,protection_ends_at" in defined["ix_deals_partner_status_protection"]
    assert "partner_id,user_id,status,issued_at,expires_at" in defined["ix_certificates_partner_holders"]


def test_a_partners_protected_deals_read_the_partner_status_and_protection_index(db):
    from portal.deals import service as deals

    user = factories.partner_user()
    stmt = deals.list_deals(user, deals.Filters(expiry="protected"))
    assert "ix_deals_partner_status_protection (partner_id=? AND status=? AND protection_ends_at>?)" in _plan(db, stmt)


def test_the_certified_people_per_partner_are_counted_from_the_holders_index(db):
    from portal.core.time import utcnow
    from portal.training import reports

    stmt = reports.certified_query(factories.vendor(), utcnow()).limit(51)
    assert "SCAN certificates USING COVERING INDEX ix_certificates_partner_holders" in _plan(db, stmt)
