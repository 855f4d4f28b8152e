"""The hot read path: statements built once, compiled once per database, run straight on the driver.

Every signed-in page loads its user, the header's counts and a page of rows. Through SQLAlchemy each
such statement costs ~140,000 machine instructions of execution machinery (execution context,
result object, events) on top of ~15,000 for the driver call itself, and the first one also sets up
the ORM session (~400,000 with its teardown). A list page spent more time there than in its queries.

``rows(statement, params)`` runs a Core ``select`` (built once: its compiled form is kept per
statement and dialect) with SQLAlchemy's own bind and result processing, so values come back as
they would through ``Connection.execute`` (booleans, UTC datetimes) — only the machinery between is
skipped. Where it runs:

- in a GET or HEAD request that has not started an ORM transaction: on one pooled driver connection
  kept for the request (reads only; SQLite runs each statement in its own read transaction, as the
  deferred BEGIN of a GET did), returned to the pool when the request ends — unless the app sets
  ``READS_OWN_CONNECTION`` off (the tests do: their rows live in one connection's open transaction);
- otherwise (a write request, a job, the CLI, or once the ORM session has begun): on the session's
  connection, inside its transaction, so a read sees what the transaction wrote.

Statements with parameters expanded at execution time (``IN`` over a list, literal-rendered values)
go through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections import namedtuple

from flask import g, has_request_context
from flask.globals import _cv_app, _cv_request
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql import Select

from portal.extensions import db

READ_METHODS = ("GET", "HEAD")
_REQUIRED = object()


class _Compiled:
    """A statement's SQL for one dialect, its parameter order and its bind and result processors."""

    __slots__ = ("sql", "positions", "compiled", "binds", "result_processors", "row_type", "expanded")

    def __init__(self, statement: Select, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.positions = tuple(compiled.positiontup) if dialect.positional else None
        processors = compiled._bind_processors
        # (name in the SQL, key in the caller's parameters, value when not given, bind processor), or None:
        # then SQLAlchemy's construct_params works them out (callable values, escaped names)
        self.binds = tuple(
            (name, bind.key, _REQUIRED if bind.required else bind.value, processors.get(name))
            for bind, name in compiled.bind_names.items()
        ) if not compiled.escaped_bind_names and not any(
            bind.callable is not None for bind in compiled.bind_names) else None
        columns = compiled._result_columns
        processors = [column.type._cached_result_processor(dialect, None) for column in columns]
        self.result_processors = tuple((i, p) for i, p in enumerate(processors) if p is not None)
        self.row_type = row_type(tuple(column.keyname for column in columns))
        self.expanded = bool(compiled.literal_execute_params or compiled.post_compile_params)

    def parameters(self, params: dict) -> tuple | dict:
        if self.binds is None:
            values = self.compiled.construct_params(params)
            for name, process in self.compiled._bind_processors.items():
                if name in values:
                    values[name] = process(values[name])
        else:
            values = {}
            for name, key, default, process in self.binds:
                if key in params:
                    value = params[key]
                elif default is _REQUIRED:
                    raise InvalidRequestError(f"A value is required for bind parameter {key!r}")
                else:
                    value = default
                values[name] = process(value) if process is not None else value
        if self.positions is None:
            return values
        return tuple(values[name] for name in self.positions)

    def result(self, fetched: list[tuple], named: bool = True) -> list[tuple]:
        make, processors = self.row_type._make if named else tuple, self.result_processors
        if not processors:
            return list(map(make, fetched)) if named else fetched
        out = []
        for row in fetched:
            row = list(row)
            for i, process in processors:
                row[i] = process(row[i])
            out.append(make(row))
        return out


_compiled: dict[tuple[int, str], tuple[Select, _Compiled]] = {}
_row_types: dict[tuple[str, ...], type] = {}


def row_type(fields: tuple[str, ...]) -> type:
    """Named tuples, one type per list of fields: a template reads each shown column of each row, and a
    named tuple's attribute is cheaper than SQLAlchemy's ``Row`` mapping lookup (~2 µs a read)."""
    row_type = _row_types.get(fields)
    if row_type is None:
        row_type = _row_types[fields] = namedtuple("Row", fields, rename=True)
    return row_type


def _for(statement: Select, dialect) -> _Compiled:
    key = (id(statement), dialect.name)
    known = _compiled.get(key)
    if known is None or known[0] is not statement:  # the statement object is kept, so its id is not reused
        known = _compiled[key] = (statement, _Compiled(statement, dialect))
    return known[1]


def rows(statement: Select, params: dict | None = None, named: bool = True) -> list[tuple]:
    """All rows of a Core ``select`` as named tuples, or plain ones (``named=False``), see the module
    docstring for where it runs. The engine's ``before/after_cursor_execute`` listeners (query logging
    and counting) see the statement, with no connection or context object on the request's own connection."""
    params = params or {}
    engine = db.engine
    compiled = _for(statement, engine.dialect)
    if compiled.expanded:
        return [compiled.row_type._make(row) for row in db.session.connection().execute(statement, params)]
    connection, owner = _connection()
    cursor = connection.cursor()
    sql, parameters = compiled.sql, compiled.parameters(params)
    dispatch = engine.dispatch
    try:
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(owner, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(owner, cursor, sql, parameters, None, False)
        fetched = cursor.fetchall()
    finally:
        cursor.close()
    return compiled.result(fetched, named)


def first(statement: Select, params: dict | None = None) -> tuple | None:
    found = rows(statement, params)
    return found[0] if found else None


def _connection():
    """(driver connection, its SQLAlchemy Connection or None) to read on."""
    request_context = _cv_request.get(None)
    if request_context is not None and request_context.request.method in READ_METHODS:
        app_context = _cv_app.get()
        state = vars(app_context.g)  # (a missing attribute of g costs a raised and caught exception)
        if not state.get("portal_orm_began") and app_context.app.config["READS_OWN_CONNECTION"]:
            connection = state.get("portal_read_connection")
            if connection is None:
                connection = state["portal_read_connection"] = db.engine.raw_connection()
            return connection, None
    owner = db.session.connection()
    return owner.connection.dbapi_connection, owner


def _orm_began(_session, _transaction, _connection) -> None:
    """Session ``after_begin``: from now on this request reads inside the ORM transaction (it may have
    written). Asking the session itself costs more than the read (Flask-SQLAlchemy's scope lookup)."""
    if has_request_context():
        g.portal_orm_began = True


def install(app) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_begin", _orm_began):
        event.listen(Session, "after_begin", _orm_began)

    @app.teardown_request
    def _return_read_connection(_exc: BaseException | None = None) -> None:
        g.pop("portal_orm_began", None)
        connection = g.pop("portal_read_connection", None)
        if connection is not None:
            connection.close()  # back to the pool, which rolls back whatever read transaction is open
