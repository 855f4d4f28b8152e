"""Fixtures shared by the web tests."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa


@pytest.fixture(params=["sqlite", "postgresql"])
def live_app(request, tmp_path, redis_server, outbox_dir):
    """A separate app on its own fresh database (SQLite file or a new PostgreSQL database), so requests
    made from threads really commit and really race; dropped afterwards."""
    from tests.conftest import make_app

    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path}/live.db", None
    else:
        base = request.getfixturevalue("pg_url")
        name = f"live_test_{uuid.uuid4().hex[:10]}"
        admin_engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin_engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()
    application = make_app(url, redis_server, str(outbox_dir), str(tmp_path / "instance"), RATELIMIT_ENABLED=False)
    yield application
    from portal.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


@pytest.fixture
def notices(app):
    """``notices(user)``: the texts of ``user``'s notifications as their list shows them (newest first, in
    their language)."""
    from flask_babel import force_locale

    from portal.notifications import service

    def read(user) -> list[str]:
        with app.test_request_context(), force_locale(user.locale or app.config["BABEL_DEFAULT_LOCALE"]):
            return [notice.text for notice in service.page_of(user, 1, 100).items]

    return read


@pytest.fixture
def admin(db, login):
    """An admin, Ada Admin, signed in (committed: an error page rolls the session back)."""
    from tests import factories

    user = factories.vendor(name="Ada Admin")
    db.session.commit()
    login(user)
    return user
