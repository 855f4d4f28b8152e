"""/api/v1 enablement: courses of my audience with progress, my enrolments, certificates (scoped) and their
check by number, the resource library of my audience — all in the OpenAPI document."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from portal.accounts import service as accounts
from portal.core.permissions import Role
from portal.resources.models import Resource
from portal.training.models import Enrolment
from tests import factories
from tests.web.test_api import assert_json_error, bearer

pytestmark = pytest.mark.pg


def token(user) -> dict:
    return bearer(accounts.create_api_token(user, "LMS")[1])


def test_a_partner_lists_the_courses_of_its_audience_and_its_enrolments(client, db):
    user = factories.partner_user()
    mine = factories.course(title="For resellers", audience_types=",reseller,")
    factories.course(title="For distributors", audience_types=",distributor,")
    factories.course(title="Still a draft", status="draft")
    db.session.add(Enrolment(course_id=mine.id, user_id=user.id, partner_id=user.partner_id))
    headers = token(user)
    items = client.get("/api/v1/courses", headers=headers).get_json()["items"]
    assert [(c["title"], c["enrolled"], c["lessons"]) for c in items] == [("For resellers", True, 2)]
    enrolments = client.get("/api/v1/enrolments", headers=headers).get_json()["items"]
    assert [(e["course_title"], e["lessons_done"], e["passed"], e["attempts_left"]) for e in enrolments] == [
        ("For resellers", 0, False, 3)]


def test_certificates_are_scoped_and_verified_by_number(client, db):
    boss = factories.partner_user(role=Role.PARTNER_ADMIN)
    colleague = factories.partner_user(partner=boss.partner, name="Col League")
    stranger = factories.partner_user()
    cert = factories.certification([factories.course()])
    ours = factories.certificate(colleague, cert)
    theirs = factories.certificate(stranger, cert)
    numbers = [c["number"] for c in client.get("/api/v1/certificates", headers=token(boss)).get_json()["items"]]
    assert numbers == [ours.number]
    assert client.get("/api/v1/certificates", headers=token(stranger)).get_json()["items"][0]["number"] == theirs.number
    assert_json_error(client.get(f"/api/v1/certificates?partner_id={stranger.partner_id}", headers=token(boss)), 404)
    trainer = factories.vendor(Role.TRAINER)
    listed = client.get(f"/api/v1/certificates?partner_id={stranger.partner_id}", headers=token(trainer)).get_json()
    assert [c["number"] for c in listed["items"]] == [theirs.number]
    checked = client.get(f"/api/v1/certificates/{ours.number}", headers=token(stranger)).get_json()
    assert (checked["holder_name"], checked["status"]) == ("Col League", "valid")
    assert_json_error(client.get("/api/v1/certificates/CERT-NOPE0-NOPE0", headers=token(stranger)), 404)


def test_resources_of_another_audience_are_not_listed(client, db):
    user = factories.partner_user()
    db.session.add_all([Resource(title="Reseller deck", category="marketing", audience_types=",reseller,",
                                 url="https://example.com/deck"),
                        Resource(title="Distributor prices", category="price_list", audience_types=",distributor,",
                                 url="https://example.com/prices")])
    db.session.flush()
    items = client.get("/api/v1/resources", headers=token(user)).get_json()["items"]
    assert [(r["title"], r["kind"]) for r in items] == [("Reseller deck", "link")]


def test_the_enablement_endpoints_are_in_the_openapi_document(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    for path in ("/courses", "/enrolments", "/certificates", "/certificates/{number}", "/resources"):
        assert "get" in spec["paths"][path]
