"""Data versions: one counter per table, incremented by every transaction that wrote to that table.

A page's ETag (``portal.pages.conditional``) includes the versions of the tables the page shows, so it
changes whenever a write that could change the page commits.

The rule: every INSERT, UPDATE or DELETE statement run on a connection — the ORM's flushes,
``session.execute(update(...))``, Core inserts on ``session.connection()`` — notes its table on that
connection (``before_execute``). When the session commits (its outermost transaction), it increments the
noted tables' rows of ``data_versions`` in the same transaction, so a version and the data it stands for
become visible together. A rollback drops the note, and so does the start of a transaction. The
increments come last in the transaction and in table-name order: concurrent writers of the same tables
queue there briefly and never deadlock over them. Writes that bypass SQLAlchemy (raw driver SQL,
migrations) are not seen: portal code writes through it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String, bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import Pool

from portal.extensions import db

_WRITTEN = "portal.written_tables"  # the note's key in Connection.info


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # a table's name
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def current(*models) -> tuple[int, ...]:
    """The versions of the tables of ``models``, in their order (0 for a table never written)."""
    names = [model.__tablename__ for model in models]
    found = dict(db.session.execute(_VERSIONS, {"names": names}).all())
    return tuple(found.get(name, 0) for name in names)


# Every list page asks: one statement with a bind parameter, built once (SQLAlchemy keeps its compiled form).
_VERSIONS = select(DataVersion.name, DataVersion.version).where(
    DataVersion.name.in_(bindparam("names", expanding=True)))


def _note_write(conn, clauseelement, _multiparams, _params, _execution_options) -> None:
    if getattr(clauseelement, "is_dml", False) and clauseelement.table.name != DataVersion.__tablename__:
        conn.info.setdefault(_WRITTEN, set()).add(clauseelement.table.name)


def _increment(session: Session) -> None:
    """before_commit: the written tables' versions + 1, in the committing transaction."""
    if session.in_nested_transaction():  # a savepoint: the outermost commit increments
        return
    session.flush()
    connection = session.connection()
    written = connection.info.pop(_WRITTEN, None)
    if not written:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(DataVersion).values([{"name": name, "version": 1} for name in sorted(written)])
    connection.execute(upsert.on_conflict_do_update(index_elements=[DataVersion.name],
                                                    set_={"version": DataVersion.version + 1}))


def _forget_on_begin(_session: Session, transaction, connection) -> None:
    if not transaction.nested:  # a new transaction has written nothing yet
        connection.info.pop(_WRITTEN, None)


def _forget_on_rollback(conn) -> None:
    conn.info.pop(_WRITTEN, None)


def _forget_on_reset(_dbapi_connection, connection_record, _reset_state) -> None:
    connection_record.info.pop(_WRITTEN, None)  # the pool rolled the connection back


def install() -> None:
    """Listen on every engine and session (once per process)."""
    for target, name, listener in (
            (Engine, "before_execute", _note_write), (Session, "before_commit", _increment),
            (Session, "after_begin", _forget_on_begin), (Engine, "rollback", _forget_on_rollback),
            (Pool, "reset", _forget_on_reset)):
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
