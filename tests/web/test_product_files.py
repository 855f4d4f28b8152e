"""Product image and datasheet: typed by their bytes, size-limited, stored outside static under random
names, replaced and removed safely, served with the right headers to whoever may see the product."""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from portal import config
from portal.catalogue import files
from portal.catalogue.models import Category, Product
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}
MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x02" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x03" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
KEY = re.compile(r"[A-Za-z0-9_-]{20,}\.(png|jpg|webp|pdf)")


@pytest.fixture
def uploads(app, tmp_path):
    """A fresh upload directory for this test (the app's setting restored afterwards)."""
    folder = tmp_path / "uploads"
    before = app.config.get("UPLOAD_DIR")
    app.config["UPLOAD_DIR"] = str(folder)
    try:
        yield folder
    finally:
        app.config["UPLOAD_DIR"] = before


@pytest.fixture
def admin(db, login):
    user = factories.vendor(Role.ADMIN)
    db.session.commit()
    login(user)
    return user


@pytest.fixture
def item(db):
    return make_product(db)


def make_product(db, active: bool = True) -> Product:
    cat = Category(name=f"Files category {next(_serial)}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=f"FILE-{next(_serial)}", name="Edge Router 产品", description="", category_id=cat.id,
                  list_price_cents=1000, currency="USD", unit="each", stock_on_hand=50, min_order_qty=1,
                  active=active)
    db.session.add(row)
    db.session.commit()
    return row


def multipart(field: str, content: bytes, filename: str, content_type: str = "application/octet-stream",
              extra: dict | None = None) -> bytes:
    """A multipart body built in memory (the test client spools big bodies to unclosed temp files)."""
    parts = [b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\"\r\n\r\n"
             + value.encode() + b"\r\n" for name, value in (extra or {}).items()]
    parts.append(b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + field.encode() + b"\"; filename=\""
                 + filename.encode() + b"\"\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + content
                 + b"\r\n")
    return b"".join(parts) + b"--BOUNDARY--\r\n"


def upload(client, product_id: int, kind: str, content: bytes, filename: str, **kw):
    kw["extra"] = {"upload": kind, **kw.get("extra", {})}
    return client.post(f"/admin/catalogue/products/{product_id}",
                       data=multipart(kind, content, filename, **kw),
                       content_type="multipart/form-data; boundary=BOUNDARY", headers=EN)


def stored_files(folder: Path) -> list[str]:
    """Every file in the upload directory, temporary ones included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def fresh(db, product_id: int) -> Product:
    db.session.expire_all()
    return db.session.get(Product, product_id)


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<small class="field-error" id="{field}-error">([^<]*)</small>', html)
    assert found, html[:3000]
    return found.group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


# --- uploading -----------------------------------------------------------------------------------

def test_the_upload_directory_defaults_to_the_instance_folder_not_static(tmp_path, monkeypatch):
    monkeypatch.delenv("UPLOAD_DIR", raising=False)
    assert config.load(str(tmp_path))["UPLOAD_DIR"] == str(tmp_path / "uploads")
    assert config.load(str(tmp_path))["MAX_CONTENT_LENGTH"] == 12 * MB


def test_the_edit_page_has_an_image_and_a_datasheet_upload_form(db, client, admin, item, uploads):
    html = text(client.get(f"/admin/catalogue/products/{item.id}", headers=EN))
    for kind in ("image", "datasheet"):
        assert (f'<form method="post" enctype="multipart/form-data" '
                f'action="/admin/catalogue/products/{item.id}" novalidate>') in html
        assert f'<input type="hidden" name="upload" value="{kind}">' in html
        assert f'id="{kind}" name="{kind}" type="file"' in html
    assert "No image yet." in html and "No datasheet yet." in html


@pytest.mark.parametrize(("content", "extension", "content_type"), [
    (PNG, "png", "image/png"), (JPEG, "jpg", "image/jpeg"), (WEBP, "webp", "image/webp")])
def test_an_image_is_stored_under_a_random_key_with_the_extension_of_its_bytes_and_audited(
        db, client, admin, item, uploads, content, extension, content_type):
    response = upload(client, item.id, "image", content, "holiday photo.gif", content_type="text/plain")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/catalogue/products/{item.id}")
    saved = fresh(db, item.id)
    assert KEY.fullmatch(saved.image_key) and saved.image_key.endswith(f".{extension}")
    assert "holiday" not in saved.image_key
    assert saved.image_type == content_type
    assert stored_files(uploads) == [saved.image_key]  # no temporary file left behind
    assert (uploads / saved.image_key).read_bytes() == content
    [entry] = audit_entries(db, "product.image_uploaded")
    assert entry.entity_id == item.id and entry.actor_id == admin.id
    assert entry.before == {"image_key": None, "image_type": None}
    assert entry.after == {"image_key": saved.image_key, "image_type": content_type}
    assert "Image saved." in text(client.get(response.headers["Location"], headers=EN))


def test_a_datasheet_keeps_its_original_name_and_is_audited(db, client, admin, item, uploads):
    assert upload(client, item.id, "datasheet", PDF, "产品说明书 v2.pdf").status_code == 303
    saved = fresh(db, item.id)
    assert saved.datasheet_key.endswith(".pdf") and saved.datasheet_type == "application/pdf"
    assert saved.datasheet_name == "产品说明书 v2.pdf"
    assert stored_files(uploads) == [saved.datasheet_key]
    [entry] = audit_entries(db, "product.datasheet_uploaded")
    assert entry.after["datasheet_key"] == saved.datasheet_key and entry.before["datasheet_key"] is None


@pytest.mark.parametrize(("kind", "content", "filename", "message"), [
    ("image", PDF, "photo.png", "Upload a PNG, JPEG or WebP image."),  # the name lies: the bytes decide
    ("image", b"GIF89a" + b"\x00" * 40, "photo.jpg", "Upload a PNG, JPEG or WebP image."),
    ("image", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40, "photo.webp", "Upload a PNG, JPEG or WebP image."),
    ("image", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "photo.png", "Upload a PNG, JPEG or WebP image."),
    ("datasheet", PNG, "sheet.pdf", "Upload a PDF file."),
    ("datasheet", b"<html>%PDF-1.7</html>", "sheet.pdf", "Upload a PDF file."),
    ("image", b"", "photo.png", "The file is empty."),
    ("datasheet", b"", "sheet.pdf", "The file is empty."),
    ("image", b"", "", "Choose a file."),
])
def test_a_refused_file_is_422_next_to_its_field_and_nothing_is_written(db, client, admin, item, uploads, kind,
                                                                      content, filename, message):
    response = upload(client, item.id, kind, content, filename,
                      content_type="image/png" if kind == "image" else "application/pdf")
    assert response.status_code == 422
    assert field_error(text(response), kind) == message
    saved = fresh(db, item.id)
    assert (saved.image_key, saved.image_type, saved.datasheet_key, saved.datasheet_name) == (None, None, None, None)
    assert stored_files(uploads) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("product.%_uploaded"))) == 0


@pytest.mark.parametrize(("kind", "head", "limit_mb"), [("image", PNG, 2), ("datasheet", PDF, 10)])
def test_a_file_over_its_size_limit_is_refused_and_one_at_the_limit_is_kept(db, client, admin, item, uploads,
                                                                            kind, head, limit_mb):
    too_big = head + b"\x00" * (limit_mb * MB + 1 - len(head))
    response = upload(client, item.id, kind, too_big, f"big.{'png' if kind == 'image' else 'pdf'}")
    assert response.status_code == 422
    assert field_error(text(response), kind) == f"The file is larger than {limit_mb} MB."
    assert getattr(fresh(db, item.id), f"{kind}_key") is None
    assert stored_files(uploads) == []
    at_limit = too_big[:-1]
    assert upload(client, item.id, kind, at_limit, "ok.pdf").status_code == 303
    key = getattr(fresh(db, item.id), f"{kind}_key")
    assert (uploads / key).stat().st_size == limit_mb * MB


def test_a_request_over_the_app_wide_limit_is_413_before_it_is_read(db, client, admin, item, uploads):
    response = upload(client, item.id, "datasheet", PDF + b"\x00" * (12 * MB), "huge.pdf")
    assert response.status_code == 413
    html = text(response)
    assert "Too large" in html and "The upload is too large." in html and "<html" in html
    assert fresh(db, item.id).datasheet_key is None and stored_files(uploads) == []


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.CHANNEL_MANAGER, Role.TRAINER])
def test_only_an_admin_may_upload_or_remove_files(db, client, login, item, uploads, role):
    item.image_key, item.image_type = "existingkey123.png", "image/png"
    db.session.commit()
    user = factories.vendor(role) if role.is_vendor else factories.partner_user(role=role)
    db.session.commit()
    login(user)
    assert upload(client, item.id, "image", PNG, "a.png").status_code == 403
    assert upload(client, item.id, "datasheet", PDF, "a.pdf").status_code == 403
    assert client.post(f"/admin/catalogue/products/{item.id}/image/remove").status_code == 403
    assert fresh(db, item.id).image_key == "existingkey123.png"
    assert fresh(db, item.id).datasheet_key is None
    assert stored_files(uploads) == []


def test_an_upload_without_its_csrf_token_is_refused_and_with_it_accepted(app, db, client, admin, item, uploads):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = upload(client, item.id, "image", PNG, "a.png")
        page = text(client.get(f"/admin/catalogue/products/{item.id}", headers=EN))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        accepted = upload(client, item.id, "image", PNG, "a.png", extra={"csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert accepted.status_code == 303
    assert len(stored_files(uploads)) == 1


def test_replacing_a_file_removes_the_old_one_after_the_commit_and_audits_both_keys(db, client, admin, item,
                                                                                   uploads):
    upload(client, item.id, "image", PNG, "first.png")
    first = fresh(db, item.id).image_key
    assert "Replace image" in text(client.get(f"/admin/catalogue/products/{item.id}", headers=EN))
    assert upload(client, item.id, "image", JPEG, "second.jpg").status_code == 303
    second = fresh(db, item.id).image_key
    assert second != first and second.endswith(".jpg")
    assert stored_files(uploads) == [second]
    [_, replaced] = audit_entries(db, "product.image_uploaded")
    assert replaced.before == {"image_key": first, "image_type": "image/png"}
    assert replaced.after == {"image_key": second, "image_type": "image/jpeg"}


def test_a_failed_commit_keeps_the_old_file_and_removes_the_new_one(db, client, admin, item, uploads, monkeypatch):
    upload(client, item.id, "datasheet", PDF, "first.pdf")
    first = fresh(db, item.id).datasheet_key

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        upload(client, item.id, "datasheet", PDF + b"v2", "second.pdf")
    with pytest.raises(RuntimeError):
        client.post(f"/admin/catalogue/products/{item.id}/datasheet/remove")
    monkeypatch.undo()
    assert fresh(db, item.id).datasheet_key == first
    assert stored_files(uploads) == [first]


def test_removing_a_file_clears_the_product_deletes_the_file_and_is_audited(db, client, admin, item, uploads):
    upload(client, item.id, "datasheet", PDF, "sheet.pdf")
    key = fresh(db, item.id).datasheet_key
    response = client.post(f"/admin/catalogue/products/{item.id}/datasheet/remove", headers=EN)
    assert response.status_code == 303
    saved = fresh(db, item.id)
    assert (saved.datasheet_key, saved.datasheet_name, saved.datasheet_type) == (None, None, None)
    assert stored_files(uploads) == []
    [entry] = audit_entries(db, "product.datasheet_removed")
    assert entry.before == {"datasheet_key": key, "datasheet_name": "sheet.pdf", "datasheet_type": "application/pdf"}
    assert entry.after == {"datasheet_key": None, "datasheet_name": None, "datasheet_type": None}
    assert "Datasheet removed." in text(client.get(response.headers["Location"], headers=EN))


# --- serving -------------------------------------------------------------------------------------

def test_an_image_is_served_inline_with_its_type_nosniff_and_private_caching(db, client, admin, item, uploads):
    upload(client, item.id, "image", WEBP, "p.webp")
    response = client.get(f"/catalogue/{item.id}/image", buffered=True)
    assert response.status_code == 200
    assert response.data == WEBP
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "max-age=" in cache and "public" not in cache
    again = client.get(f"/catalogue/{item.id}/image", headers={"If-None-Match": response.headers["ETag"]},
                       buffered=True)
    assert again.status_code == 304 and again.data == b""


def test_a_datasheet_downloads_as_an_attachment_with_its_chinese_name(db, client, login, item, uploads):
    admin = factories.vendor(Role.ADMIN)
    partner = factories.partner_user()
    db.session.commit()
    login(admin)
    upload(client, item.id, "datasheet", PDF, "产品说明书.pdf")
    client.post("/logout")
    login(partner)
    response = client.get(f"/catalogue/{item.id}/datasheet", buffered=True)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('产品说明书.pdf')}" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_product_page_shows_the_image_and_the_datasheet_link_to_partners(db, client, login, item, uploads):
    admin = factories.vendor(Role.ADMIN)
    partner = factories.partner_user()
    other = make_product(db)
    db.session.commit()
    login(admin)
    upload(client, item.id, "image", PNG, "p.png")
    upload(client, item.id, "datasheet", PDF, "sheet.pdf")
    client.post("/logout")
    login(partner)
    html = text(client.get(f"/catalogue/{item.id}", headers=EN))
    image = re.search(r'<img src="([^"]+)" alt="([^"]+)" class="product-image"', html)
    assert image and image.group(2) == "Edge Router 产品"
    assert client.get(image.group(1), buffered=True).data == PNG
    link = re.search(r'<a href="([^"]+)" download>Datasheet \(PDF\)</a>', html)
    assert link and client.get(link.group(1), buffered=True).data == PDF
    bare = text(client.get(f"/catalogue/{other.id}", headers=EN))
    assert "product-image" not in bare and "Datasheet (PDF)" not in bare


def test_an_inactive_products_files_are_404_for_partners_but_not_for_admins(db, client, login, uploads):
    hidden = make_product(db, active=False)
    admin = factories.vendor(Role.ADMIN)
    partner = factories.partner_user()
    db.session.commit()
    login(admin)
    upload(client, hidden.id, "image", PNG, "p.png")
    upload(client, hidden.id, "datasheet", PDF, "p.pdf")
    assert client.get(f"/catalogue/{hidden.id}/image", buffered=True).status_code == 200
    client.post("/logout")
    login(partner)
    assert client.get(f"/catalogue/{hidden.id}/image", buffered=True).status_code == 404
    assert client.get(f"/catalogue/{hidden.id}/datasheet", buffered=True).status_code == 404


def test_missing_files_and_unknown_products_are_404(db, client, admin, item, uploads):
    assert client.get(f"/catalogue/{item.id}/image", buffered=True).status_code == 404
    assert client.get(f"/catalogue/{item.id}/datasheet", buffered=True).status_code == 404
    assert client.get("/catalogue/999999/image", buffered=True).status_code == 404
    assert client.get(f"/catalogue/{item.id}/secret_key", buffered=True).status_code == 404
    assert client.get(f"/catalogue/{item.id}/..%2F..%2Fsecret_key", buffered=True).status_code == 404
    item.image_key, item.image_type = "gone1234.png", "image/png"  # the row names a file that is not there
    db.session.commit()
    assert client.get(f"/catalogue/{item.id}/image", buffered=True).status_code == 404


@pytest.mark.parametrize("key", ["../secret.png", "../secret_key", "../../etc/passwd.png", "/etc/hosts",
                                 "..%2fsecret.png", "a/../../secret.png", "secret_key", "x.png.exe", "x.pdf"])
def test_a_stored_key_that_is_not_one_of_ours_or_not_its_type_is_404(db, client, admin, item, uploads, key):
    uploads.mkdir()
    (uploads.parent / "secret.png").write_bytes(PNG)
    (uploads / "x.pdf").write_bytes(PDF)
    item.image_key, item.image_type = key, "image/png"
    db.session.commit()
    assert client.get(f"/catalogue/{item.id}/image", buffered=True).status_code == 404


def test_the_key_pattern_accepts_only_random_names_with_our_extensions():
    assert files.KEY_PATTERN.fullmatch("AbC_12-x.png") and files.KEY_PATTERN.fullmatch("k.pdf")
    for bad in ("../a.png", "a.png/..", "a.gif", "a.PNG", "a b.png", ".png", "a.png\n"):
        assert not files.KEY_PATTERN.fullmatch(bad), bad


def test_a_refused_upload_is_shown_on_the_products_own_address(client, db, admin, item, uploads):
    response = upload(client, item.id, "image", b"not an image", "photo.png")
    assert response.status_code == 422
    assert response.request.path == f"/admin/catalogue/products/{item.id}"
    assert client.get(f"/admin/catalogue/products/{item.id}").status_code == 200  # the address reloads
    assert client.post(f"/admin/catalogue/products/{item.id}", data={"upload": "passport"}).status_code == 404
