"""Migrations keep the data of a database in use: on SQLite a batch operation recreates a table, and
with foreign keys enforced the old table's DROP would cascade into every table pointing at it."""

from __future__ import annotations

import sqlite3

from flask_migrate import upgrade

from tests.conftest import make_app


def test_upgrading_a_sqlite_database_with_data_keeps_every_row(tmp_path, redis_server, outbox_dir):
    url = f"sqlite:///{tmp_path}/old.db"
    app = make_app(url, redis_server, str(outbox_dir), str(tmp_path / "instance"))  # migrated to the head
    from portal.extensions import db

    with app.app_context():
        from flask_migrate import downgrade

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
