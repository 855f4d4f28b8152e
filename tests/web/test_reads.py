"""The hot read path (portal.core.reads): the same values as SQLAlchemy's execution, on the right connection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import g
from sqlalchemy import bindparam, event, literal, select

from portal.accounts.models import User
from portal.core import reads
from portal.partners.models import Partner
from tests import factories

_USERS = select(User.id, User.email, User.active, User.created_at, User.locale, Partner.name.label("partner_name")) \
    .outerjoin(Partner, Partner.id == User.partner_id).where(User.id.in_(select(User.id).where(
        User.email.like(bindparam("pattern"))))).order_by(User.id)
_ACTIVE_IN = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)), User.active.is_(True))


@pytest.mark.pg
def test_rows_come_back_as_sqlalchemy_returns_them(app, db):
    partner = factories.PartnerFactory(name="Reads Ltd")
    created = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    factories.partner_user(partner, email="reads.one@x.test", created_at=created, locale="zh_Hans")
    factories.vendor(email="reads.two@x.test", active=False)
    db.session.flush()
    with app.test_request_context("/", method="POST"):
        expected = db.session.execute(_USERS, {"pattern": "reads.%"}).all()
        got = reads.rows(_USERS, {"pattern": "reads.%"})
    assert [tuple(row) for row in got] == [tuple(row) for row in expected]
    first, second = got
    assert (first.email, first.active, first.partner_name, first.locale) == ("reads.one@x.test", True, "Reads Ltd",
                                                                             "zh_Hans")
    assert first.created_at == created and first.created_at.tzinfo is not None  # UTC-aware, like the ORM's
    assert (second.active, second.partner_name) == (False, None)


@pytest.mark.pg
def test_a_statement_expanded_at_execution_still_runs(app, db):
    active = factories.vendor(email="reads.in1@x.test")
    inactive = factories.vendor(email="reads.in2@x.test", active=False)
    db.session.flush()
    with app.test_request_context("/", method="POST"):
        got = reads.rows(_ACTIVE_IN, {"ids": [active.id, inactive.id]})
    assert [row.id for row in got] == [active.id]


def test_a_write_request_reads_what_its_own_transaction_wrote(app, db):
    with app.test_request_context("/", method="POST"):
        user = factories.vendor(email="reads.unsaved@x.test")
        db.session.flush()  # written, not committed
        assert [row.email for row in reads.rows(_USERS, {"pattern": "reads.unsaved%"})] == [user.email]
        assert "portal_read_connection" not in g


@pytest.mark.pg
def test_a_read_request_reads_on_a_pooled_connection_of_its_own_returned_at_the_end(app, db):
    pool = db.engine.pool
    app.config["READS_OWN_CONNECTION"] = True
    try:
        with app.test_request_context("/", method="GET"):
            before = pool.checkedout()
            assert reads.first(select(literal(7).label("n"))).n == 7
            assert reads.first(select(literal(8).label("n"))).n == 8
            own = g.portal_read_connection
            assert pool.checkedout() == before + 1  # one connection for the whole request
        assert pool.checkedout() == before  # back in the pool with the request
        assert own.dbapi_connection is None  # the proxy let go of it
    finally:
        app.config["READS_OWN_CONNECTION"] = False


def test_a_read_request_that_began_an_orm_transaction_reads_inside_it(app, db):
    app.config["READS_OWN_CONNECTION"] = True
    try:
        with app.test_request_context("/", method="GET"):
            user = factories.vendor(email="reads.inside@x.test")
            db.session.flush()
            assert [row.id for row in reads.rows(_USERS, {"pattern": "reads.inside%"})] == [user.id]
            assert "portal_read_connection" not in g
    finally:
        app.config["READS_OWN_CONNECTION"] = False


def test_engine_listeners_see_each_statement(app, db):
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        with app.test_request_context("/", method="POST"):
            reads.rows(_USERS, {"pattern": "nobody%"})
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    statements = [(sql, parameters) for sql, parameters in seen if "SAVEPOINT" not in sql]  # the harness's
    assert len(statements) == 1 and "FROM users" in statements[0][0] and "nobody%" in str(statements[0][1])


def test_a_missing_parameter_is_an_error_not_a_null(app, db):
    from sqlalchemy.exc import InvalidRequestError

    with app.test_request_context("/", method="POST"), pytest.raises(InvalidRequestError, match="pattern"):
        reads.rows(_USERS, {})


@pytest.mark.pg
def test_values_written_into_the_statement_and_a_parameter_used_twice_are_bound(app, db):
    user = factories.vendor(email="reads.twice@x.test", name="Twice")
    db.session.flush()
    twice = select(User.id, literal("fixed").label("word")).where(
        User.id == bindparam("id"), User.id >= bindparam("id"), User.email != "nobody@x.test")
    with app.test_request_context("/", method="POST"):
        assert [tuple(row) for row in reads.rows(twice, {"id": user.id})] == [(user.id, "fixed")]
