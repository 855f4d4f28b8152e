"""The SQLite settings every connection of the portal gets (portal/core/sqlite.py)."""

from __future__ import annotations

import pytest

from portal.extensions import db


@pytest.mark.parametrize(("pragma", "expected"), [
    ("journal_mode", "wal"), ("foreign_keys", 1), ("synchronous", 1),  # NORMAL
    ("cache_size", -65536), ("mmap_size", 268435456),
])
def test_each_connection_gets_the_portal_settings(app, pragma, expected):
    with app.app_context():
        assert db.session.connection().exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
