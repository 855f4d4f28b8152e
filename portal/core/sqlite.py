"""SQLite settings for a multi-process web + worker on one file.

WAL lets readers run while a writer writes. A request that may write (any method but GET/HEAD)
and every job or CLI command begins with ``BEGIN IMMEDIATE``: it takes the write lock up front,
so two writers queue on the busy timeout instead of one failing half-way with "database is
locked" when it upgrades a read to a write. Reads (GET) begin deferred and never wait.

Each connection keeps up to 64 MiB of pages (SQLite's default is 2 MiB: a rebate calculation writing its
tens of thousands of statement lines spilled to the WAL half-way) and reads the file through a 256 MiB
memory map (pages shared with the other processes through the OS instead of copied per connection).
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import event


def install(app) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from portal.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        read_only = has_request_context() and request.method in ("GET", "HEAD")
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
