"""Deleting from the catalogue (the D of its CRUD): a product no order has, after a confirmation page,
with everything that hangs on it; never a product on an order (its history needs it: deactivate it);
an empty category, never one with products. Admins only, audited, nothing changed on refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.catalogue import files
from portal.catalogue.models import Category, Product, ProductLink, ProductTierPrice
from portal.core.permissions import Role
from portal.orders.models import CartLine, OrderLine
from tests import factories
from tests.web import test_catalogue_admin as admin_tests
from tests.web import test_product_files as file_tests
from tests.web.test_catalogue_admin import EN, audit_entries, category, product, tier
from tests.web.test_order_lifecycle import make_order
from tests.web.test_product_files import PNG

admin = admin_tests.admin  # a fixture
uploads = file_tests.uploads  # a fixture


def exists(db, model, row_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(model, row_id) is not None


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.pg
def test_an_unordered_product_is_deleted_after_a_confirmation_with_all_that_hangs_on_it(db, client, login, admin,
                                                                                     uploads):
    item = product(db, category(db), "DEL-1", name="Router to delete")
    db.session.add_all([ProductTierPrice(product_id=item.id, tier_id=tier(db).id, price_cents=100),
                        ProductLink(product_id=item.id, title="Guide", url="https://docs.example.com/g")])
    buyer = factories.partner_user()
    db.session.flush()
    db.session.add(CartLine(user_id=buyer.id, product_id=item.id, quantity=2))
    image = files.attach(admin, item.id, "image", PNG, "photo.png").new_key
    db.session.commit()
    stored = uploads / image
    assert stored.exists()

    edit = client.get(f"/admin/catalogue/products/{item.id}", headers=EN).get_data(as_text=True)
    assert f'href="/admin/catalogue/products/{item.id}/delete"' in edit
    confirm = client.get(f"/admin/catalogue/products/{item.id}/delete", headers=EN)
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.get_data(as_text=True)
    assert exists(db, Product, item.id)  # asking deletes nothing

    answer = client.post(f"/admin/catalogue/products/{item.id}/delete", headers=EN)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/catalogue/")
    assert not exists(db, Product, item.id)
    assert count(db, ProductTierPrice, ProductTierPrice.product_id == item.id) == 0
    assert count(db, ProductLink, ProductLink.product_id == item.id) == 0
    assert count(db, CartLine, CartLine.product_id == item.id) == 0
    assert not stored.exists()
    [entry] = audit_entries(db, "product.deleted")
    assert entry.entity_id == item.id and entry.actor_id == admin.id
    assert entry.before["sku"] == "DEL-1" and entry.before["list_price_cents"] == 12999
    assert "Product DEL-1 deleted." in client.get("/admin/catalogue/", headers=EN).get_data(as_text=True)

    login(buyer)  # gone from the catalogue and its search index
    assert 'data-sku="DEL-1"' not in client.get("/catalogue/?q=DEL-1", headers=EN).get_data(as_text=True)
    assert 'data-sku="DEL-1"' not in client.get("/catalogue/?q=Router to delete", headers=EN).get_data(as_text=True)
    assert client.get(f"/catalogue/{item.id}").status_code == 404


@pytest.mark.pg
@pytest.mark.parametrize("status", ["submitted", "delivered", "cancelled"])
def test_a_product_on_any_order_is_never_deleted_the_page_says_to_deactivate_it(db, client, admin, status):
    item = product(db, category(db), "DEL-2")
    make_order(db, factories.partner_user(), [(item, 1)], status=status)
    db.session.commit()
    confirm = client.get(f"/admin/catalogue/products/{item.id}/delete", headers=EN).get_data(as_text=True)
    assert "Deactivate it instead" in confirm
    assert "Delete product</button>" not in confirm
    answer = client.post(f"/admin/catalogue/products/{item.id}/delete", headers=EN)
    assert answer.status_code == 409
    assert "DEL-2 is on orders and stays for their history" in answer.get_data(as_text=True)
    assert exists(db, Product, item.id)
    assert count(db, OrderLine, OrderLine.product_id == item.id) == 1
    assert audit_entries(db, "product.deleted") == []


@pytest.mark.pg
def test_an_empty_category_is_deleted_one_with_products_is_refused_in_its_row(db, client, admin):
    empty, used = category(db, "Empty shelf"), category(db, "Busy shelf")
    product(db, used, "DEL-3", active=False)  # an inactive product still counts
    db.session.commit()
    page = client.get("/admin/catalogue/categories", headers=EN).get_data(as_text=True)
    assert f'action="/admin/catalogue/categories/{empty.id}/delete"' in page
    assert f'action="/admin/catalogue/categories/{used.id}/delete"' not in page  # no button for a used one

    answer = client.post(f"/admin/catalogue/categories/{used.id}/delete", headers=EN)
    assert answer.status_code == 409
    assert "Only an empty category can be deleted" in answer.get_data(as_text=True)
    assert exists(db, Category, used.id)

    assert client.post(f"/admin/catalogue/categories/{empty.id}/delete", headers=EN).status_code == 303
    assert not exists(db, Category, empty.id)
    [entry] = audit_entries(db, "category.deleted")
    assert entry.before == {"name": "Empty shelf"} and entry.actor_id == admin.id


def test_deleting_what_does_not_exist_is_404(db, client, admin):
    assert client.get("/admin/catalogue/products/999999/delete").status_code == 404
    assert client.post("/admin/catalogue/products/999999/delete").status_code == 404
    assert client.post("/admin/catalogue/categories/999999/delete").status_code == 404


@pytest.mark.parametrize("role", [Role.CHANNEL_MANAGER, Role.TRAINER, Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_only_an_admin_deletes(db, client, login, role):
    cat = category(db)
    item = product(db, category(db), "DEL-4")
    user = factories.vendor(role) if role.is_vendor else factories.partner_user(role=role)
    db.session.commit()
    login(user)
    assert client.get(f"/admin/catalogue/products/{item.id}/delete").status_code == 403
    assert client.post(f"/admin/catalogue/products/{item.id}/delete").status_code == 403
    assert client.post(f"/admin/catalogue/categories/{cat.id}/delete").status_code == 403
    assert exists(db, Product, item.id) and exists(db, Category, cat.id)


def test_a_delete_without_the_csrf_token_changes_nothing(app, db, client, admin):
    cat = category(db)
    item = product(db, category(db), "DEL-5")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/admin/catalogue/products/{item.id}/delete").status_code == 400
        assert client.post(f"/admin/catalogue/categories/{cat.id}/delete").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert exists(db, Product, item.id) and exists(db, Category, cat.id)
