"""Migrations keep the data of a database in use: on SQLite a batch operation recreates a table, and
with foreign keys enforced the old table's DROP would cascade into every table pointing at it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.conftest import make_app


def test_upgrading_a_sqlite_database_with_data_keeps_every_row(tmp_path, redis_server, outbox_dir):
    url = f"sqlite:///{tmp_path}/old.db"
    app = make_app(url, redis_server, str(outbox_dir), str(tmp_path / "instance"))  # migrated to the head
    from portal.extensions import db

    with app.app_context():
        downgrade(revision="0009")
        db.engine.dispose()
    con = sqlite3.connect(tmp_path / "old.db")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("INSERT INTO partners (id, name, type, region, status, status_reason, created_at) "
                "VALUES (1, 'Keep Ltd', 'reseller', 'EMEA', 'active', '', '2026-01-01 00:00:00')")
    con.execute("INSERT INTO users (id, email, name, role, partner_id, password_hash, active, timezone, "
                "session_token, created_at) VALUES (1, 'keep@x.test', 'Keep', 'partner_user', 1, 'x', 1, 'UTC', "
                "'tok', '2026-01-01 00:00:00')")
    con.execute("INSERT INTO notifications (user_id, event_key, message, link, read, created_at) "
                "VALUES (1, 'k1', 'Hello', '', 0, '2026-01-01 00:00:00')")
    con.execute("INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) "
                "VALUES (1, 'ERP', 'pp_x', 'h', '2026-01-01 00:00:00')")
    con.commit()
    con.close()
    with app.app_context():
        upgrade()
        db.engine.dispose()
    con = sqlite3.connect(tmp_path / "old.db")
    assert con.execute("SELECT count(*) FROM notifications").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == 1
    assert con.execute("SELECT email FROM users").fetchall() == [("keep@x.test",)]
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


KEYS_BEFORE_THE_MIDDLE = ["a", "abc", "abcd", "abcde", "abcdef", "acmeroboticsindustrial", "北京字节跳动科技",
                          "中国科学院上海生命科学研究院营养科学研究所"]


@pytest.mark.parametrize("database", ["sqlite", "pg"])
def test_registrations_made_before_the_middle_key_get_it_from_their_stored_name(request, tmp_path, redis_server,
                                                                                  outbox_dir, database):
    from portal.deals import matching

    url = f"sqlite:///{tmp_path}/old.db"
    if database == "pg":  # a database of its own: the other tests' one stays at the head
        server = sa.create_engine(request.getfixturevalue("pg_url"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS portal_mid_migration"))
            conn.execute(sa.text("CREATE DATABASE portal_mid_migration"))
        server.dispose()
        url = sa.make_url(request.getfixturevalue("pg_url")).set(database="portal_mid_migration")
        url = url.render_as_string(hide_password=False)
    app = make_app(url, redis_server, str(outbox_dir), str(tmp_path / "instance"))
    from portal.extensions import db

    now = datetime(2026, 11, 1, tzinfo=UTC)
    with app.app_context():
        downgrade(revision="0095_read_paths")
        with db.engine.begin() as conn:
            partners, deals = (sa.Table(name, sa.MetaData(), autoload_with=conn) for name in ("partners", "deals"))
            conn.execute(partners.insert().values(id=1, name="Keep Ltd", type="reseller", region="EMEA",
                                                  status="active", status_reason="", created_at=now))
            conn.execute(deals.insert(), [{
                "partner_id": 1, "customer_name": key, "customer_domain": "", "contact_name": "", "contact_email": "",
                "region": "EMEA", "currency": "USD", "estimated_value_cents": 0, "expected_close": now.date(),
                "notes": "", "status": "submitted", "created_at": now, "reason": "", "had_conflict": False,
                "name_key": key, "name_head": matching.name_head(key), "name_tail": matching.name_tail(key)}
                for key in KEYS_BEFORE_THE_MIDDLE])
        upgrade()
        with db.engine.connect() as conn:
            stored = dict(conn.execute(sa.text("SELECT name_key, name_mid FROM deals")).all())
            indexes = {index["name"] for index in sa.inspect(conn).get_indexes("deals")}
        downgrade(revision="0095_read_paths")
        with db.engine.connect() as conn:
            after_downgrade = {column["name"] for column in sa.inspect(conn).get_columns("deals")}
        db.engine.dispose()
    assert stored == {key: matching.name_mid(key) for key in KEYS_BEFORE_THE_MIDDLE}
    assert "ix_deals_name_mid" in indexes
    assert "name_mid" not in after_downgrade and "name_key" in after_downgrade
