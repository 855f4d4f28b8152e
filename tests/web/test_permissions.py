"""Deny by default: every endpoint declares who may use it; each role sees its own navigation."""

from __future__ import annotations

import re

import pytest

from portal.core.permissions import Role, is_guarded
from tests import factories


def test_every_endpoint_is_marked_require_or_public(app):
    unguarded = sorted(
        f"{rule.endpoint} {rule.rule}" for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not is_guarded(app.view_functions[rule.endpoint])
    )
    assert unguarded == []
    assert len(list(app.url_map.iter_rules())) > 20  # the walk saw the real map


def test_public_endpoints_are_only_the_sign_in_pages_the_partner_application_health_and_certificate_checks(app):
    public = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                    if getattr(app.view_functions[rule.endpoint], "is_public", False))
    assert set(public) <= {"auth.login", "auth.forgot", "auth.reset", "auth.invitation", "auth.language",
                           "main.healthz", "api.openapi", "api.docs", "applications.apply",
                           "applications.received", "api.create_application",
                           "courses.verify_form", "courses.verify"}, public
    assert "auth.login" in public


def test_an_unmarked_view_is_refused_with_403(app, db):
    from portal import create_app

    # the same settings as the test app, without migrating again (the test holds the database)
    same = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RATELIMIT_STORAGE_URI", "OUTBOX_DIR", "SECRET_KEY",
            "BASE_URL", "TESTING", "WTF_CSRF_ENABLED", "PROPAGATE_EXCEPTIONS")
    throwaway = create_app({key: app.config[key] for key in same})

    @throwaway.get("/forgotten-marker")
    def forgotten_marker():
        return "secret things"

    response = throwaway.test_client().get("/forgotten-marker")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "secret things" not in html
    assert 'data-status="403"' in html
    with throwaway.app_context():
        db.engine.dispose()


# --- navigation per role ---------------------------------------------------------------------

NAV_LINKS = {"Partners": "/partners/", "Users": "/users/", "Colleagues": "/users/", "Audit log": "/audit/"}
EXPECTED = {
    Role.ADMIN: {"Partners", "Users", "Audit log"},
    Role.CHANNEL_MANAGER: {"Partners", "Audit log"},
    Role.TRAINER: set(),
    Role.PARTNER_ADMIN: {"Colleagues", "Audit log"},
    Role.PARTNER_USER: set(),
}


def nav_links(html: str) -> set[str]:
    nav = re.search(r'<ul class="nav-links"[^>]*>(.*?)</ul>', html, re.S)
    assert nav, html[:1000]
    return {label for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav.group(1))
            if NAV_LINKS.get(label) == href}


def user_with_role(role: Role):
    if role.is_vendor:
        return factories.vendor(role)
    return factories.partner_user(role=role)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_own_navigation(client, login, role):
    login(user_with_role(role))
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert nav_links(html) == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_links_a_role_does_not_see_are_also_refused(client, login, db, role):
    user = user_with_role(role)
    db.session.commit()  # an error page rolls the session back
    login(user)
    allowed = {NAV_LINKS[label] for label in EXPECTED[role]}
    for path in sorted(set(NAV_LINKS.values())):
        status = client.get(path).status_code
        assert status == (200 if path in allowed else 403), (role, path, status)
