"""Catalogue admin: products, categories, tier discounts, tier prices and CSV — admins only, all audited."""

from __future__ import annotations

import csv
import io
import re
from itertools import count

import pytest
from sqlalchemy import func, select

from portal.catalogue import csv_io
from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.core.audit import AuditEntry
from portal.core.permissions import Permission, Role
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}


@pytest.fixture
def admin(db, login):
    user = factories.vendor(Role.ADMIN)
    db.session.commit()
    login(user)
    return user


def category(db, name: str | None = None) -> Category:
    row = Category(name=name or f"Category {next(_serial)}")
    db.session.add(row)
    db.session.flush()
    return row


def product(db, cat: Category, sku: str, price: int = 12999, **kw) -> Product:
    row = Product(sku=sku, name=kw.pop("name", f"Product {sku}"), description=kw.pop("description", ""),
                  category_id=cat.id, list_price_cents=price, currency="USD", unit="each",
                  stock_on_hand=kw.pop("stock", 100), min_order_qty=kw.pop("moq", 1), active=kw.pop("active", True))
    db.session.add(row)
    db.session.flush()
    return row


def tier(db, discount_bp: int = 1000) -> Tier:
    row = Tier(name=f"Gold {next(_serial)}", rank=2, discount_bp=discount_bp)
    db.session.add(row)
    db.session.flush()
    return row


def form_data(cat: Category, **overrides) -> dict:
    data = {"sku": "rt-100", "name": "Router 100", "description": "Fast", "category_id": str(cat.id),
            "list_price": "1,234.50", "currency": "usd", "unit": "each", "stock_on_hand": "5",
            "min_order_qty": "2", "active": "y"}
    return {k: v for k, v in {**data, **overrides}.items() if v is not None}


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<small class="field-error" id="{field}-error">([^<]*)</small>', html)
    assert found, html[:3000]
    return found.group(1)


def multipart(content: bytes, filename: str) -> bytes:
    """A multipart body built in memory (the test client spools big bodies to unclosed temp files)."""
    return (b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename.encode()
            + b"\"\r\nContent-Type: text/csv\r\n\r\n" + content + b"\r\n--BOUNDARY--\r\n")


def upload(client, content: bytes, filename: str = "catalogue.csv"):
    return client.post("/admin/catalogue/import", data=multipart(content, filename),
                       content_type="multipart/form-data; boundary=BOUNDARY", headers=EN)


def csv_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or csv_io.COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# --- who may -----------------------------------------------------------------------------------

def test_every_catalogue_admin_endpoint_requires_manage_catalogue_held_by_admins_only(app):
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("catalogue_admin.")]
    assert len(endpoints) >= 9
    for endpoint in endpoints:
        assert Permission.MANAGE_CATALOGUE in app.view_functions[endpoint].required_permissions, endpoint
    assert [r for r in Role if factories.vendor(r).can(Permission.MANAGE_CATALOGUE)] == [Role.ADMIN]


@pytest.mark.parametrize("role", [Role.CHANNEL_MANAGER, Role.TRAINER, Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_everyone_but_an_admin_is_refused_every_admin_url(db, client, login, role):
    cat = category(db)
    item = product(db, cat, "NO-1")
    level = tier(db)
    user = factories.vendor(role) if role.is_vendor else factories.partner_user(role=role)
    db.session.commit()
    login(user)
    gets = ["/admin/catalogue/", "/admin/catalogue/products/new", f"/admin/catalogue/products/{item.id}",
            "/admin/catalogue/categories", "/admin/catalogue/tiers", "/admin/catalogue/export.csv",
            "/admin/catalogue/import"]
    posts = ["/admin/catalogue/products/new", f"/admin/catalogue/products/{item.id}",
             f"/admin/catalogue/products/{item.id}/tier-prices/{level.id}", "/admin/catalogue/categories",
             f"/admin/catalogue/categories/{cat.id}", f"/admin/catalogue/tiers/{level.id}", "/admin/catalogue/import"]
    for path in gets:
        assert client.get(path).status_code == 403, path
    for path in posts:
        assert client.post(path, data={"name": "x", "sku": "HACK-1", "discount": "99"}).status_code == 403, path
    assert db.session.scalar(select(Tier.discount_bp).where(Tier.id == level.id)) == 1000
    assert db.session.scalar(select(func.count()).select_from(Product).where(Product.sku == "HACK-1")) == 0
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert "/admin/catalogue/" not in html


def test_an_admin_sees_the_nav_link_and_an_edit_link_on_the_product_page(db, client, admin):
    item = product(db, category(db), "ED-1")
    db.session.commit()
    assert 'href="/admin/catalogue/">Catalogue admin</a>' in client.get("/", headers=EN).get_data(as_text=True)
    page = client.get(f"/catalogue/{item.id}", headers=EN).get_data(as_text=True)
    assert f'href="/admin/catalogue/products/{item.id}" class="edit-product">Edit</a>' in page


# --- products ----------------------------------------------------------------------------------

@pytest.mark.pg
def test_an_admin_creates_a_product_with_the_price_in_cents_and_it_is_audited(db, client, admin):
    cat = category(db)
    db.session.commit()
    response = client.post("/admin/catalogue/products/new", data=form_data(cat), headers=EN)
    assert response.status_code == 303
    item = db.session.scalar(select(Product).where(Product.sku == "RT-100"))
    assert (item.name, item.list_price_cents, item.currency, item.stock_on_hand, item.min_order_qty, item.active) == (
        "Router 100", 123450, "USD", 5, 2, True)
    assert response.headers["Location"].endswith(f"/admin/catalogue/products/{item.id}")
    [entry] = audit_entries(db, "product.created")
    assert entry.entity_id == item.id and entry.actor_id == admin.id
    assert entry.before is None and entry.after["list_price_cents"] == 123450 and entry.after["sku"] == "RT-100"
    page = client.get(f"/admin/catalogue/products/{item.id}", headers=EN).get_data(as_text=True)
    assert 'value="1234.50"' in page


@pytest.mark.parametrize(("field", "text", "message"), [
    ("list_price", "12.345", "Use at most two decimal places."),
    ("list_price", "-1", "The amount cannot be negative."),
    ("list_price", "abc", "Enter an amount such as 1234.50."),
    ("sku", "R 1", "A SKU is 2 to 40 letters A–Z, digits or hyphens."),
    ("currency", "XYZ", "Enter a three-letter ISO currency code such as USD."),
    ("stock_on_hand", "-3", "Enter 0 or more."),
    ("min_order_qty", "0", "Enter 1 or more."),
    ("name", "", "Enter the product name."),
])
def test_a_bad_field_is_422_with_the_message_next_to_it_and_nothing_is_written(db, client, admin, field, text,
                                                                             message):
    cat = category(db)
    db.session.commit()
    response = client.post("/admin/catalogue/products/new", data=form_data(cat, **{field: text}), headers=EN)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    assert audit_entries(db, "product.created") == []


def test_a_missing_category_is_refused(db, client, admin):
    cat = category(db)
    db.session.commit()
    response = client.post("/admin/catalogue/products/new", data=form_data(cat, category_id=""), headers=EN)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "category_id") == "Choose a category."


def test_a_sku_another_product_has_is_refused_whatever_its_case(db, client, admin):
    cat = category(db)
    product(db, cat, "RT-100")
    other = product(db, cat, "RT-200")
    db.session.commit()
    response = client.post("/admin/catalogue/products/new", data=form_data(cat, sku="rt-100"), headers=EN)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "sku") == "Another product already has this SKU."
    response = client.post(f"/admin/catalogue/products/{other.id}", data=form_data(cat, sku="RT-100"), headers=EN)
    assert response.status_code == 422
    assert db.session.scalar(select(Product.sku).where(Product.id == other.id)) == "RT-200"


@pytest.mark.pg
def test_editing_a_product_is_audited_with_before_and_after_in_cents(db, client, admin):
    cat = category(db)
    item = product(db, cat, "RT-100", price=999)
    db.session.commit()
    response = client.post(f"/admin/catalogue/products/{item.id}",
                           data=form_data(cat, list_price="10.50", active=None), headers=EN)
    assert response.status_code == 303
    db.session.refresh(item)
    assert (item.list_price_cents, item.active, item.name) == (1050, False, "Router 100")
    [entry] = audit_entries(db, "product.updated")
    assert entry.before["list_price_cents"] == 999 and entry.after["list_price_cents"] == 1050
    assert entry.before["active"] is True and entry.after["active"] is False


def test_the_product_list_shows_inactive_products_searches_sku_and_name_and_pages(db, client, admin):
    cat = category(db)
    product(db, cat, "AA-1", name="Alpha switch", active=False)
    product(db, cat, "BB-2", name="Bravo 路由器")
    for n in range(55):
        product(db, cat, f"ZZ-{n:03d}")
    db.session.commit()
    html = client.get("/admin/catalogue/", headers=EN).get_data(as_text=True)
    skus = re.findall(r'data-sku="([^"]+)"', html)
    assert skus[:2] == ["AA-1", "BB-2"] and len(skus) == 50 and "Inactive" in html and 'rel="next"' in html
    second = client.get("/admin/catalogue/?page=2", headers=EN).get_data(as_text=True)
    assert len(re.findall(r'data-sku="([^"]+)"', second)) == 7
    assert re.findall(r'data-sku="([^"]+)"', client.get("/admin/catalogue/?q=aa-", headers=EN).get_data(
        as_text=True)) == ["AA-1"]
    assert re.findall(r'data-sku="([^"]+)"', client.get("/admin/catalogue/?q=路由", headers=EN).get_data(
        as_text=True)) == ["BB-2"]


# --- categories --------------------------------------------------------------------------------

def test_categories_are_created_and_renamed_with_unique_names(db, client, admin):
    existing = category(db, "Routers")
    db.session.commit()
    assert client.post("/admin/catalogue/categories", data={"name": " Switches "}).status_code == 303
    assert db.session.scalar(select(Category.id).where(Category.name == "Switches"))
    response = client.post("/admin/catalogue/categories", data={"name": "Routers"}, headers=EN)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == "A category with this name already exists."
    response = client.post(f"/admin/catalogue/categories/{existing.id}", data={f"cat{existing.id}-name": "Switches"},
                           headers=EN)
    assert response.status_code == 422 and "A category with this name already exists." in response.get_data(
        as_text=True)
    assert client.post(f"/admin/catalogue/categories/{existing.id}",
                       data={f"cat{existing.id}-name": "Wi-Fi routers"}).status_code == 303
    assert db.session.get(Category, existing.id).name == "Wi-Fi routers"
    [entry] = audit_entries(db, "category.renamed")
    assert (entry.before, entry.after) == ({"name": "Routers"}, {"name": "Wi-Fi routers"})
    assert len(audit_entries(db, "category.created")) == 1


# --- tiers and tier prices ----------------------------------------------------------------------

@pytest.mark.pg
def test_changing_a_tiers_discount_changes_its_partners_net_price_and_is_audited(db, client, login, admin):
    gold = tier(db, 1000)
    item = product(db, category(db), "RT-1", price=12999)
    buyer = factories.partner_user(factories.PartnerFactory(tier_id=gold.id))
    db.session.commit()
    response = client.post(f"/admin/catalogue/tiers/{gold.id}", data={f"tier{gold.id}-discount": "12.5"})
    assert response.status_code == 303
    assert db.session.get(Tier, gold.id).discount_bp == 1250
    [entry] = audit_entries(db, "tier.discount_changed")
    assert (entry.before, entry.after) == ({"discount_bp": 1000}, {"discount_bp": 1250})
    client.post("/logout")
    login(buyer)
    page = client.get(f"/catalogue/{item.id}", headers=EN).get_data(as_text=True)
    assert "$113.74" in page  # 129.99 × 0.875 = 113.74125
    assert "12.50% off list" in page


@pytest.mark.parametrize("text", ["100.5", "12.345", "-1", "ten"])
def test_a_bad_discount_is_422_and_leaves_the_tier_alone(db, client, admin, text):
    gold = tier(db, 1000)
    db.session.commit()
    response = client.post(f"/admin/catalogue/tiers/{gold.id}", data={f"tier{gold.id}-discount": text}, headers=EN)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), f"tier{gold.id}-discount")
    assert db.session.get(Tier, gold.id).discount_bp == 1000
    assert audit_entries(db, "tier.discount_changed") == []


@pytest.mark.pg
def test_a_tier_price_is_set_and_cleared_and_the_partner_sees_each(db, client, login, admin):
    gold = tier(db, 1000)
    item = product(db, category(db), "RT-1", price=12999)
    buyer = factories.partner_user(factories.PartnerFactory(tier_id=gold.id))
    db.session.commit()
    url = f"/admin/catalogue/products/{item.id}/tier-prices/{gold.id}"
    assert client.post(url, data={f"tier{gold.id}-price": "99.95"}).status_code == 303
    assert db.session.scalar(select(ProductTierPrice.price_cents)) == 9995
    bad = client.post(url, data={f"tier{gold.id}-price": "9.999"}, headers=EN)
    assert bad.status_code == 422
    assert field_error(bad.get_data(as_text=True), f"tier{gold.id}-price") == "Use at most two decimal places."
    assert 'value="RT-1"' in bad.get_data(as_text=True)  # the product's own form still shows its values
    client.post("/logout")
    login(buyer)
    assert "$99.95" in client.get(f"/catalogue/{item.id}", headers=EN).get_data(as_text=True)
    client.post("/logout")
    login(admin)
    assert 'value="99.95"' in client.get(f"/admin/catalogue/products/{item.id}", headers=EN).get_data(as_text=True)
    assert client.post(url, data={f"tier{gold.id}-price": ""}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ProductTierPrice)) == 0
    [set_entry] = audit_entries(db, "product.tier_price_set")
    [clear_entry] = audit_entries(db, "product.tier_price_cleared")
    assert (set_entry.before, set_entry.after) == ({"price_cents": None}, {"price_cents": 9995})
    assert (clear_entry.before, clear_entry.after) == ({"price_cents": 9995}, {"price_cents": None})
    client.post("/logout")
    login(buyer)
    assert "$116.99" in client.get(f"/catalogue/{item.id}", headers=EN).get_data(as_text=True)


# --- CSV ---------------------------------------------------------------------------------------

@pytest.mark.pg
def test_the_export_is_utf8_csv_with_a_bom_and_exact_decimal_prices(db, client, admin):
    cat = category(db, "路由器")
    product(db, cat, "RT-1", price=123450, name="企业路由器, 快", active=False)
    db.session.commit()
    response = client.get("/admin/catalogue/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [csv_io.COLUMNS,
                    ["RT-1", "企业路由器, 快", "", "路由器", "1234.50", "USD", "each", "100", "1", "false"]]


@pytest.mark.pg
def test_exporting_then_importing_the_file_changes_nothing(db, client, admin):
    cat = category(db, "路由器")
    for n, price in enumerate((1, 100, 123450, 0)):
        product(db, cat, f"RT-{n}", price=price, name=f"路由器 {n}", description="line one\nline two")
    product(db, cat, "XL-1", name="=HYPERLINK(\"http://evil.test\")", description="-5 dB, 'quoted'")
    db.session.commit()
    before = [(p.sku, p.name, p.description, p.list_price_cents, p.active)
              for p in db.session.scalars(select(Product).order_by(Product.sku))]
    audits = db.session.scalar(select(func.count()).select_from(AuditEntry))
    exported = client.get("/admin/catalogue/export.csv").get_data()
    assert "'=HYPERLINK" in exported.decode("utf-8") and "'-5 dB" in exported.decode("utf-8")  # no live formulas
    response = upload(client, exported)
    assert response.status_code == 200
    assert "Import finished: 0 created, 0 updated, 5 unchanged." in response.get_data(as_text=True)
    db.session.expire_all()
    assert [(p.sku, p.name, p.description, p.list_price_cents, p.active)
            for p in db.session.scalars(select(Product).order_by(Product.sku))] == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audits


@pytest.mark.pg
def test_an_import_creates_and_updates_by_sku_creates_categories_and_audits_each_product(db, client, admin):
    cat = category(db, "Routers")
    old = product(db, cat, "RT-1", price=1000)
    db.session.commit()
    content = csv_bytes([["rt-1", "Router one", "", "Routers", "12.50", "USD", "each", "7", "1", "true"],
                         ["SW-9", "交换机", "千兆", "Switches", "1,999.99", "cny", "box", "0", "5", "no"]])
    response = upload(client, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert "Import finished: 1 created, 1 updated, 0 unchanged." in html and "New categories: Switches" in html
    db.session.expire_all()
    assert (old.list_price_cents, old.stock_on_hand, old.name) == (1250, 7, "Router one")
    new = db.session.scalar(select(Product).where(Product.sku == "SW-9"))
    assert (new.list_price_cents, new.currency, new.unit, new.min_order_qty, new.active) == (
        199999, "CNY", "box", 5, False)
    assert db.session.get(Category, new.category_id).name == "Switches"
    [created] = audit_entries(db, "product.created")
    [updated] = audit_entries(db, "product.updated")
    assert created.entity_id == new.id and created.after["list_price_cents"] == 199999
    assert (updated.before["list_price_cents"], updated.after["list_price_cents"]) == (1000, 1250)


def test_one_bad_row_among_good_ones_writes_nothing_and_is_reported_by_row_and_column(db, client, admin):
    cat = category(db, "Routers")
    product(db, cat, "RT-1", price=1000)
    db.session.commit()
    content = csv_bytes([["RT-1", "Router one", "", "Routers", "12.50", "USD", "each", "7", "1", "true"],
                         ["SW-9", "Switch", "", "New category", "19.99", "USD", "each", "1", "1", "true"],
                         ["SW-10", "Switch", "", "Routers", "12.345", "USD", "each", "-1", "1", "true"],
                         ["sw-9", "Again", "", "Routers", "1", "USD", "each", "1", "1", "true"]])
    response = upload(client, content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported: 2 rows have errors." in html
    reported = re.findall(r'data-row="(\d+)" data-column="(\w+)"><td[^>]*>\d+</td><td[^>]*>\w+</td>'
                          r'<td[^>]*>([^<]+)</td>', html)
    assert reported == [("4", "list_price", "Use at most two decimal places."),
                        ("4", "stock_on_hand", "Enter 0 or more."),
                        ("5", "sku", "The SKU SW-9 is also on row 3.")]
    assert db.session.scalar(select(Product.list_price_cents).where(Product.sku == "RT-1")) == 1000
    assert db.session.scalar(select(func.count()).select_from(Product)) == 1
    assert db.session.scalar(select(func.count()).select_from(Category)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"sku,name\n", "catalogue.xlsx", "Only .csv files can be imported."),
    ("sku,name\nÄ\n".encode("latin-1"), "catalogue.csv", "is not UTF-8 text"),
    (b"sku,name,price\nA,b,1\n", "catalogue.csv", "The header row lacks these columns: description, category"),
    (b"\x00\x01PK\x03\x04", "catalogue.csv", "not a CSV file"),
    (b"", "catalogue.csv", "The file is empty."),
])
def test_a_file_that_is_not_a_usable_csv_gets_a_clear_message_and_writes_nothing(db, client, admin, content,
                                                                                filename, message):
    response = upload(client, content, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_an_upload_over_two_megabytes_is_refused(db, client, admin):
    good_row = "AB-1,Name,,Cat,1,USD,each,1,1,true\n"
    content = (",".join(csv_io.COLUMNS) + "\n" + good_row * (csv_io.MAX_BYTES // len(good_row) + 1)).encode()
    response = upload(client, content)
    assert response.status_code == 422
    assert "The file is larger than 2 MB." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    assert upload(client, b"x" * (21 * 1024 * 1024)).status_code == 413  # the app-wide request limit


def test_an_import_form_without_a_file_asks_for_one(db, client, admin):
    response = client.post("/admin/catalogue/import", data={}, content_type="multipart/form-data", headers=EN)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "file") == "Choose a CSV file."


def test_each_admin_page_renders_for_an_admin(db, client, admin):
    category(db, "Routers")
    level = tier(db, 1250)
    db.session.commit()
    pages = {"/admin/catalogue/products/new": "Save product", "/admin/catalogue/categories": 'value="Routers"',
             "/admin/catalogue/tiers": f'id="tier{level.id}-discount" name="tier{level.id}-discount" type="text" '
                                       'value="12.50"',
             "/admin/catalogue/import": 'enctype="multipart/form-data"'}
    for path, expected in pages.items():
        response = client.get(path, headers=EN)
        assert response.status_code == 200, path
        assert expected in response.get_data(as_text=True), path


def test_a_form_without_its_csrf_token_changes_nothing(app, db, client, admin):
    level = tier(db, 1000)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/admin/catalogue/tiers/{level.id}", data={f"tier{level.id}-discount": "50"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    assert db.session.get(Tier, level.id).discount_bp == 1000


def test_htmx_gets_the_form_back_with_its_errors_and_a_location_when_saved(db, client, admin):
    cat = category(db)
    db.session.commit()
    hx = {**EN, "HX-Request": "true"}
    bad = client.post("/admin/catalogue/products/new", data=form_data(cat, list_price="abc"), headers=hx)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and html.lstrip().startswith('<form id="product-form"') and "<html" not in html
    assert field_error(html, "list_price") == "Enter an amount such as 1234.50."
    good = client.post("/admin/catalogue/products/new", data=form_data(cat), headers=hx)
    item_id = db.session.scalar(select(Product.id).where(Product.sku == "RT-100"))
    assert good.status_code == 200 and f"/admin/catalogue/products/{item_id}" in good.headers["HX-Location"]


def test_one_bad_row_is_reported_in_the_singular(db, client, admin):
    content = csv_bytes([["SW-1", "Switch", "", "Routers", "12.345", "USD", "each", "1", "1", "true"]])
    html = upload(client, content).get_data(as_text=True)
    assert "Nothing was imported: 1 row has errors." in html


def test_the_catalogue_sort_by_name_reads_as_a_products_name_in_chinese(client, login, db):
    """'Name' alone is 姓名 (a person's name); the sort option has its own context."""
    login(factories.partner_user(factories.PartnerFactory()))
    html = client.get("/catalogue/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<option value="name" selected>名称</option>' in html
    assert "姓名</option>" not in html
