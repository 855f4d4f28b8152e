"""A history restore (Back/Forward to a URL an htmx filter pushed) gets the whole page, and every
fragment-or-page answer says it varies by the headers that choose between them."""

from __future__ import annotations

import pytest

from portal.core.permissions import Role
from tests import factories

RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true", "Accept-Language": "en"}
FILTER = {"HX-Request": "true", "Accept-Language": "en"}


@pytest.mark.parametrize(("role", "path"), [
    (Role.PARTNER_USER, "/catalogue/?sort=price"), (Role.PARTNER_USER, "/orders/?status=delivered"),
    (Role.ADMIN, "/queue/?tab=all&q=X"), (Role.ADMIN, "/users/?role=admin"), (Role.ADMIN, "/audit/?action=user."),
    (Role.ADMIN, "/partners/?status=active"),
])
def test_a_history_restore_answers_the_whole_page_a_filter_only_the_results(client, login, db, role, path):
    login(factories.partner_user(factories.PartnerFactory()) if role == Role.PARTNER_USER else factories.vendor())
    restored = client.get(path, headers=RESTORE)
    assert restored.status_code == 200
    html = restored.get_data(as_text=True)
    assert html.lstrip().startswith("<!doctype html>") and '<nav aria-label="Main"' in html
    fragment = client.get(path, headers=FILTER).get_data(as_text=True)
    assert not fragment.lstrip().startswith("<!doctype html>") and 'id="results"' in fragment
    assert {"HX-Request", "HX-History-Restore-Request"} <= set(restored.headers["Vary"].replace(" ", "").split(","))
