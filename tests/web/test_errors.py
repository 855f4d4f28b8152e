"""Unexpected errors: a 500 page in the layout (or a fragment for htmx) and nothing half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.core.permissions import public
from portal.partners.models import Partner
from tests.conftest import make_app


@pytest.fixture(scope="module")
def failing_app(tmp_path_factory, redis_server, outbox_dir):
    instance = tmp_path_factory.mktemp("errors")
    app = make_app(f"sqlite:///{instance}/errors.db", redis_server, str(outbox_dir), str(instance),
                   PROPAGATE_EXCEPTIONS=False)

    @app.post("/boom")
    @public
    def boom():
        from portal.extensions import db

        db.session.add(Partner(name="Half written", type="agent", region="EMEA"))
        db.session.flush()
        raise RuntimeError("bug in the middle of an action")

    yield app
    from portal.extensions import db

    with app.app_context():
        db.engine.dispose()


def _partners(app) -> int:
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Partner))


def test_an_unexpected_error_shows_the_500_page_and_writes_nothing(failing_app):
    response = failing_app.test_client().post("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "Nothing was changed" in html
    assert '<main id="main"' in html  # inside the layout
    assert _partners(failing_app) == 0


def test_an_unexpected_error_answers_htmx_with_a_toast_fragment(failing_app):
    response = failing_app.test_client().post("/boom", headers={"HX-Request": "true"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Something went wrong" in html
    assert response.headers["HX-Retarget"] == "#toasts"
    assert _partners(failing_app) == 0


def test_an_api_error_is_json(failing_app):
    response = failing_app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404
