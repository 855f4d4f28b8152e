"""The resource library: files or links for an audience; only my audience's resources are listed AND
downloadable; a new version keeps the history; downloads are counted by a worker (a GET writes nothing)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.permissions import Role
from portal.resources.models import Resource, ResourceVersion
from tests import factories
from tests.web.test_product_files import multipart, uploads  # noqa: F401 - a fixture: a fresh upload folder

pytestmark = pytest.mark.pg

PDF = b"%PDF-1.4\n%%EOF\n"


def publish(client, content: bytes = PDF, filename: str = "deck.pdf", path: str = "/resources/new", **fields):
    extra = {"title": "Sales deck", "category": "sales_tool", "description": "Slides.", **fields}
    return client.post(path, data=multipart("file", content, filename, extra=extra),
                       content_type="multipart/form-data; boundary=BOUNDARY")


def test_a_trainer_publishes_a_file_for_an_audience_and_a_new_version_keeps_the_history(client, db, login,
                                                                                        uploads):  # noqa: F811
    login(factories.vendor(Role.TRAINER))
    db.session.commit()
    assert publish(client, audience_types="reseller").status_code == 303
    resource = db.session.scalar(select(Resource))
    assert (resource.version, resource.audience_types, resource.file_name) == (1, ",reseller,", "deck.pdf")
    response = publish(client, PDF + b"v2", "deck-v2.pdf", path=f"/resources/{resource.id}/edit",
                       audience_types="reseller", note="New prices")
    assert response.status_code == 303
    db.session.refresh(resource)
    assert (resource.version, resource.file_name) == (2, "deck-v2.pdf")
    history = db.session.scalars(select(ResourceVersion).order_by(ResourceVersion.version)).all()
    assert [(v.version, v.file_name) for v in history] == [(1, "deck.pdf"), (2, "deck-v2.pdf")]
    page = client.get(f"/resources/{resource.id}").get_data(as_text=True)
    assert "New prices" in page and "deck.pdf" in page


def test_a_resource_needs_a_file_or_a_link_and_refuses_other_files(client, db, login, uploads):  # noqa: F811
    login(factories.vendor(Role.TRAINER))
    db.session.commit()
    response = client.post("/resources/new", data={"title": "Nothing", "category": "marketing"})
    assert response.status_code == 422 and "Upload a file or enter a link." in response.get_data(as_text=True)
    response = publish(client, b"<html>not allowed</html>", "page.html")
    assert response.status_code == 422 and "Upload a PDF, PNG or JPEG file." in response.get_data(as_text=True)
    response = client.post("/resources/new", data={"title": "Bad", "category": "marketing",
                                                   "url": "javascript:alert(1)"})
    assert response.status_code == 422
    assert db.session.scalar(select(Resource)) is None


def test_another_audiences_resource_is_neither_listed_nor_downloadable(client, db, login, uploads):  # noqa: F811
    from portal.catalogue import files

    key = files.store(PDF, "application/pdf")
    theirs = Resource(title="Distributor price list", category="price_list", audience_types=",distributor,",
                      file_key=key, file_name="prices.pdf", file_type="application/pdf")
    ours = Resource(title="Reseller case study", category="case_study", audience_types=",reseller,",
                    file_key=key, file_name="case.pdf", file_type="application/pdf")
    db.session.add_all([theirs, ours])
    user = factories.partner_user()
    db.session.commit()
    login(user)
    listing = client.get("/resources/").get_data(as_text=True)
    assert "Reseller case study" in listing and "Distributor price list" not in listing
    assert client.get(f"/resources/{theirs.id}").status_code == 404
    assert client.get(f"/resources/{theirs.id}/download", buffered=True).status_code == 404
    download = client.get(f"/resources/{ours.id}/download", buffered=True)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_downloads_are_counted_by_a_worker(client, db, login, run_jobs):
    resource = Resource(title="Link", category="marketing", url="https://example.com/x")
    db.session.add(resource)
    user = factories.partner_user()
    db.session.commit()
    login(user)
    response = client.get(f"/resources/{resource.id}/download")
    assert response.status_code == 302 and response.headers["Location"] == "https://example.com/x"
    db.session.refresh(resource)
    assert resource.download_count == 0
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).download_count == 1


def test_the_library_is_searched_and_filtered(client, db, login):
    db.session.add_all([Resource(title="Router datasheet", category="datasheet", url="https://e.com/1"),
                        Resource(title="Switch datasheet", category="datasheet", url="https://e.com/2"),
                        Resource(title="Router campaign", category="marketing", url="https://e.com/3")])
    login(factories.partner_user())
    db.session.commit()
    html = client.get("/resources/?q=router&category=datasheet").get_data(as_text=True)
    assert "Router datasheet" in html and "Switch datasheet" not in html and "Router campaign" not in html
