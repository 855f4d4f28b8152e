"""The server-side cart: add from the catalogue, change quantities in place, remove, empty; each partner
user's own cart at their current net price, with MOQ and stock checked next to the line."""

from __future__ import annotations

import re
from itertools import count

import pytest
from flask import g, request_started
from sqlalchemy import select

from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.core.permissions import Role
from portal.orders.models import CartLine
from tests import factories

_serial = count()
HX = {"HX-Request": "true", "Accept-Language": "en"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def gold(db):
    tier = Tier(name=f"Gold {next(_serial)}", rank=2, discount_bp=1000)
    db.session.add(tier)
    db.session.flush()
    return tier


def product(db, sku: str, price: int, *, stock: int = 100, moq: int = 1, active: bool = True,
            currency: str = "USD", name: str | None = None) -> Product:
    cat = Category(name=f"Cart category {next(_serial)}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=sku, name=name or f"Product {sku}", description="", category_id=cat.id,
                  list_price_cents=price, currency=currency, unit="each", stock_on_hand=stock,
                  min_order_qty=moq, active=active)
    db.session.add(row)
    db.session.flush()
    return row


def member(tier: Tier | None = None, role: Role = Role.PARTNER_USER, partner=None):
    return factories.partner_user(partner or factories.PartnerFactory(tier_id=tier.id if tier else None), role)


def put(db, user, item: Product, quantity: int) -> CartLine:
    line = CartLine(user_id=user.id, product_id=item.id, quantity=quantity)
    db.session.add(line)
    db.session.flush()
    return line


def text(response) -> str:
    return response.get_data(as_text=True)


def page(client) -> str:
    response = client.get("/cart/", headers=EN)
    assert response.status_code == 200, text(response)[:500]
    return text(response)


def quantities(db, user) -> dict[str, int]:
    """What the database holds for the user's cart, read fresh."""
    db.session.expire_all()
    return dict(db.session.execute(select(Product.sku, CartLine.quantity).join(
        Product, Product.id == CartLine.product_id).where(CartLine.user_id == user.id)).all())


def line_row(html: str, sku: str) -> str:
    found = re.search(rf'<tr id="line-\d+" data-sku="{re.escape(sku)}".*?</tr>', html, re.S)
    assert found, html[:2000]
    return found.group(0)


def total(html: str, currency: str = "USD") -> str:
    found = re.search(rf'<tr class="cart-total" data-currency="{currency}">.*?<strong>([^<]+)</strong>', html, re.S)
    assert found, html[-3000:]
    return found.group(1)


def badge(html: str) -> str | None:
    found = re.search(r'<a href="/cart/" id="cart-badge"[^>]*>.*?</a>', html, re.S)
    assert found, html[:1500]
    number = re.search(r'<span class="badge" data-count="(\d+)">', found.group(0))
    return number.group(1) if number else None


# --- adding ---------------------------------------------------------------------------------------

@pytest.mark.pg
def test_a_partner_adds_a_product_and_sees_it_at_their_net_price(db, client, login, gold):
    item = product(db, "RT-1", 12999)  # Gold: 116.991 → 116.99
    me = member(gold)
    login(me)
    response = client.post("/cart/add", data={"product_id": item.id, "quantity": "3"}, headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    html = page(client)
    row = line_row(html, "RT-1")
    assert "Product RT-1" in row and "$116.99" in row and "$350.97" in row  # 3 × 116.99, exact
    assert total(html) == "$350.97"
    assert badge(html) == "1"
    assert quantities(db, me) == {"RT-1": 3}


@pytest.mark.pg
def test_a_product_tier_price_wins_and_a_price_change_shows_at_once(db, client, login, gold):
    special = product(db, "SW-24", 74900)
    plain = product(db, "CAB-1", 25)  # 22.5 cents → 23 (half-up)
    db.session.add(ProductTierPrice(product_id=special.id, tier_id=gold.id, price_cents=64900))
    me = member(gold)
    put(db, me, special, 2)
    put(db, me, plain, 7)
    login(me)
    html = page(client)
    assert "$1,298.00" in line_row(html, "SW-24") and "$1.61" in line_row(html, "CAB-1")
    assert total(html) == "$1,299.61"
    plain.list_price_cents = 1000  # the cart is priced now, not when added
    db.session.flush()
    html = page(client)
    assert "$63.00" in line_row(html, "CAB-1") and total(html) == "$1,361.00"


def test_a_partner_without_a_tier_pays_list_price(db, client, login):
    item = product(db, "RT-2", 12999)
    me = member(None)
    put(db, me, item, 2)
    login(me)
    assert total(page(client)) == "$259.98"


def test_adding_a_product_already_in_the_cart_increases_its_quantity(db, client, login):
    item = product(db, "AP-1", 5000, stock=10)
    me = member()
    login(me)
    client.post("/cart/add", data={"product_id": item.id, "quantity": "4"})
    client.post("/cart/add", data={"product_id": item.id, "quantity": "5"})
    assert quantities(db, me) == {"AP-1": 9}
    response = client.post("/cart/add", data={"product_id": item.id, "quantity": "2"}, headers=EN)
    assert response.status_code == 422
    assert "Your cart already has 9. Only 10 available." in text(response)
    assert quantities(db, me) == {"AP-1": 9}


def test_adding_with_htmx_answers_the_form_with_a_confirmation_and_the_badge(db, client, login):
    item = product(db, "HX-1", 1000)
    other = product(db, "HX-2", 1000)
    me = member()
    put(db, me, other, 1)
    login(me)
    response = client.post("/cart/add", data={"product_id": item.id, "quantity": "2"}, headers=HX)
    html = text(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(
        f'<form method="post" action="/cart/add" class="add-to-cart inline" id="add-{item.id}"')
    assert "Added 2 × Product HX-1 to your cart" in html and "<html" not in html
    assert 'id="cart-badge" hx-swap-oob="true"' in html and badge(html) == "2"
    assert quantities(db, me) == {"HX-1": 2, "HX-2": 1}


@pytest.mark.parametrize(("quantity", "message"), [
    ("abc", "Enter a whole number"), ("2.5", "Enter a whole number"), ("", "Enter a quantity."),
    ("0", "Enter a quantity of 1 or more."), ("-3", "Enter a quantity of 1 or more."),
    ("100001", "At most 100,000 units per line."), ("9" * 400, "At most 100,000 units per line."),
    ("4", "The minimum order for this product is 5."), ("60", "Only 50 available."),
])
def test_a_refused_quantity_is_422_with_the_message_next_to_the_field_and_nothing_added(
        db, client, login, quantity, message):
    item = product(db, "MOQ-5", 1000, moq=5, stock=50)
    me = member()
    login(me)
    for headers in (EN, HX):
        response = client.post("/cart/add", data={"product_id": item.id, "quantity": quantity}, headers=headers)
        html = text(response)
        assert response.status_code == 422
        error = re.search(rf'<small class="field-error" id="add-{item.id}-quantity-error">([^<]+)</small>', html)
        assert error and message in error.group(1), html[-1500:]
        assert 'aria-invalid="true"' in html
        assert ("<!doctype html>" in html) == (headers is EN)  # a full page without JS, else the form
    assert quantities(db, me) == {}


def test_out_of_stock_is_refused_with_a_clear_message(db, client, login):
    item = product(db, "OUT-1", 1000, stock=0)
    login(member())
    response = client.post("/cart/add", data={"product_id": item.id, "quantity": "1"}, headers=EN)
    assert response.status_code == 422 and "Out of stock." in text(response)


@pytest.mark.pg
def test_an_inactive_or_unknown_product_cannot_be_added(db, client, login):
    gone = product(db, "OFF-1", 1000, active=False)
    me = member()
    db.session.commit()  # an error page rolls the session back
    login(me)
    for product_id in (gone.id, 99_999_999, "abc", ""):
        response = client.post("/cart/add", data={"product_id": product_id, "quantity": "1"}, headers=EN)
        assert response.status_code == 404, product_id
    assert quantities(db, me) == {}


def test_the_catalogue_list_and_product_page_offer_add_to_cart_forms_that_work_without_js(db, client, login):
    item = product(db, "CAT-1", 1000, moq=3)
    login(member())
    for path in ("/catalogue/?q=CAT-1", f"/catalogue/{item.id}"):
        html = text(client.get(path, headers=EN))
        form = re.search(rf'<form method="post" action="/cart/add"[^>]*id="add-{item.id}"[^>]*>(.*?)</form>',
                         html, re.S)
        assert form, path
        tag = form.group(0)
        assert 'hx-post="/cart/add"' in tag and 'hx-target="this"' in tag
        assert 'name="csrf_token"' in tag and f'name="product_id" value="{item.id}"' in tag
        assert 'name="quantity"' in tag and 'value="3"' in tag and "Add to cart" in tag


def test_vendor_staff_get_no_add_to_cart_forms(db, client, login):
    item = product(db, "CAT-2", 1000)
    login(factories.vendor(Role.ADMIN))
    assert "/cart/add" not in text(client.get(f"/catalogue/{item.id}", headers=EN))
    assert "/cart/add" not in text(client.get("/catalogue/", headers=EN))


# --- who has a cart -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.ADMIN, Role.CHANNEL_MANAGER, Role.TRAINER])
def test_vendor_staff_have_no_cart(db, client, login, role):
    item = product(db, "VN-1", 1000)
    user = factories.vendor(role)
    db.session.commit()
    login(user)
    assert client.get("/cart/").status_code == 403
    assert client.post("/cart/add", data={"product_id": item.id, "quantity": "1"}).status_code == 403
    assert client.post("/cart/clear").status_code == 403
    assert 'id="cart-badge"' not in text(client.get("/", headers=EN))
    assert db.session.scalar(select(CartLine.id).where(CartLine.user_id == user.id)) is None


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_partner_users_have_a_cart_link_with_a_count(db, client, login, role):
    me = member(role=role)
    put(db, me, product(db, f"NV-{role}", 1000), 1)
    login(me)
    html = text(client.get("/", headers=EN))
    assert badge(html) == "1" and 'aria-label="Cart: 1 line"' in html


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/cart/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.pg
def test_another_users_cart_line_is_404_and_stays_as_it_was(db, client, login):
    item = product(db, "TN-1", 1000)
    colleague_partner = factories.PartnerFactory()
    colleague = member(partner=colleague_partner)
    stranger = member()
    theirs = put(db, colleague, item, 4)
    strangers = put(db, stranger, item, 6)
    me = member(partner=colleague_partner, role=Role.PARTNER_ADMIN)  # same company, still not my cart
    mine = put(db, me, item, 1)
    db.session.commit()  # an error page rolls the session back
    login(me)
    for line in (theirs, strangers):
        assert client.post(f"/cart/lines/{line.id}", data={"quantity": "2"}).status_code == 404
        assert client.post(f"/cart/lines/{line.id}/remove").status_code == 404
        assert client.post(f"/cart/lines/{line.id}", data={"quantity": "2"}, headers=HX).status_code == 404
    assert client.post("/cart/lines/99999999/remove").status_code == 404
    assert quantities(db, colleague) == {"TN-1": 4} and quantities(db, stranger) == {"TN-1": 6}
    html = page(client)
    assert "$10.00" in line_row(html, "TN-1") and f'id="line-{mine.id}"' in html
    assert f'id="line-{theirs.id}"' not in html and f'id="line-{strangers.id}"' not in html
    client.post("/cart/clear")
    assert quantities(db, me) == {} and quantities(db, colleague) == {"TN-1": 4}


# --- changing, removing, emptying -------------------------------------------------------------------

@pytest.mark.pg
def test_changing_a_quantity_with_htmx_updates_line_total_cart_total_and_badge(db, client, login, gold):
    a = product(db, "CH-1", 12999)  # 116.99 for Gold
    b = product(db, "CH-2", 1000)  # 9.00
    me = member(gold)
    line = put(db, me, a, 1)
    put(db, me, b, 2)
    login(me)
    response = client.post(f"/cart/lines/{line.id}", data={"quantity": "5"}, headers=HX)
    html = text(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="cart">') and "<html" not in html
    assert "$584.95" in line_row(html, "CH-1") and total(html) == "$602.95"
    assert 'id="cart-badge" hx-swap-oob="true"' in html and badge(html) == "2"
    assert quantities(db, me) == {"CH-1": 5, "CH-2": 2}


def test_the_quantity_form_posts_in_place_and_works_without_js(db, client, login):
    me = member()
    line = put(db, me, product(db, "FM-1", 1000), 1)
    login(me)
    html = page(client)
    form = re.search(rf'<form method="post" action="/cart/lines/{line.id}"[^>]*>', html).group(0)
    assert f'hx-post="/cart/lines/{line.id}"' in form and 'hx-target="#cart"' in form and "change" in form
    response = client.post(f"/cart/lines/{line.id}", data={"quantity": "3"}, headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    assert quantities(db, me) == {"FM-1": 3}


@pytest.mark.parametrize(("quantity", "message"), [
    ("x", "Enter a whole number"), ("0", "1 or more"), ("-1", "1 or more"), ("1000000", "At most 100,000"),
    ("2", "The minimum order for this product is 3."), ("41", "Only 40 available."),
])
def test_a_refused_quantity_change_is_422_next_to_the_line_and_nothing_changes(db, client, login,
                                                                               quantity, message):
    me = member()
    line = put(db, me, product(db, "BAD-1", 1000, moq=3, stock=40), 4)
    login(me)
    for headers in (HX, EN):
        response = client.post(f"/cart/lines/{line.id}", data={"quantity": quantity}, headers=headers)
        html = text(response)
        assert response.status_code == 422
        error = re.search(rf'<small class="field-error" id="line-{line.id}-quantity-error">([^<]+)</small>', html)
        assert error and message in error.group(1)
        assert "$40.00" in line_row(html, "BAD-1")  # still 4 × 10.00
    assert quantities(db, me) == {"BAD-1": 4}


def test_removing_a_line_and_emptying_the_cart(db, client, login):
    me = member()
    first = put(db, me, product(db, "RM-1", 1000), 1)
    put(db, me, product(db, "RM-2", 2000), 1)
    put(db, me, product(db, "RM-3", 3000), 1)
    login(me)
    response = client.post(f"/cart/lines/{first.id}/remove", headers=HX)
    html = text(response)
    assert response.status_code == 200 and "RM-1" not in html and total(html) == "$50.00" and badge(html) == "2"
    assert "Removed from your cart." in html  # the toast rides along
    assert quantities(db, me) == {"RM-2": 1, "RM-3": 1}
    response = client.post("/cart/clear", headers=EN)
    assert response.status_code == 303
    assert quantities(db, me) == {}
    html = page(client)
    assert "Your cart is empty." in html and badge(html) is None


# --- problems since adding --------------------------------------------------------------------------

@pytest.mark.pg
def test_lines_that_cannot_be_ordered_any_more_are_flagged_and_left_out_of_the_total(db, client, login):
    fine = product(db, "OK-1", 1000)
    retired = product(db, "RET-1", 2000)
    scarce = product(db, "LOW-1", 3000, stock=50)
    raised = product(db, "MOQ-1", 4000)
    me = member()
    for item in (fine, retired, scarce, raised):
        put(db, me, item, 10)
    retired.active = False
    scarce.stock_on_hand = 7
    raised.min_order_qty = 12
    db.session.flush()
    login(me)
    html = page(client)
    assert "This product is no longer available." in line_row(html, "RET-1")
    assert "Only 7 available." in line_row(html, "LOW-1")
    assert "The minimum order for this product is 12." in line_row(html, "MOQ-1")
    assert "line-problem-message" not in line_row(html, "OK-1")
    assert total(html) == "$100.00"  # only OK-1
    assert "not included in the total" in html


def test_products_in_different_currencies_get_a_total_each(db, client, login):
    me = member()
    put(db, me, product(db, "US-1", 1000), 2)
    put(db, me, product(db, "EU-1", 1500, currency="EUR"), 3)
    login(me)
    html = page(client)
    assert total(html, "USD") == "$20.00" and total(html, "EUR") == "€45.00"
    assert "Total (EUR)" in html and "Total (USD)" in html


# --- CSRF ------------------------------------------------------------------------------------------

def test_cart_changes_need_the_csrf_token(app, db, client, login):
    item = product(db, "CS-1", 1000)
    me = member()
    db.session.commit()
    login(me)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/cart/add", data={"product_id": item.id, "quantity": "1"}, headers=EN)
        assert refused.status_code == 400 and quantities(db, me) == {}
        html = text(client.get(f"/catalogue/{item.id}", headers=EN))
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert client.post("/cart/add", data={"product_id": item.id, "quantity": "1", "csrf_token": token},
                           headers=EN).status_code == 303
        # htmx sends the token as a header (base.html's hx-headers)
        line_id = db.session.scalar(select(CartLine.id).where(CartLine.user_id == me.id))
        response = client.post(f"/cart/lines/{line_id}", data={"quantity": "4"},
                               headers={**HX, "X-CSRFToken": token})
        assert response.status_code == 200
        assert quantities(db, me) == {"CS-1": 4}
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- query counts ----------------------------------------------------------------------------------

@pytest.fixture
def fresh_request_globals(app):
    def clear(sender, **extra):
        for name in list(g):
            g.pop(name)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.mark.pg
def test_the_cart_page_runs_the_same_three_queries_for_3_or_20_lines(db, client, login, count_queries, gold,
                                                                     fresh_request_globals):
    me = member(gold)
    login(me)

    def add(first: int, last: int) -> None:
        for i in range(first, last):
            item = product(db, f"QC-{i:02d}", 1000 + i, active=i != 1)
            if i % 3 == 0:
                db.session.add(ProductTierPrice(product_id=item.id, tier_id=gold.id, price_cents=500))
            put(db, me, item, 2)

    def statements() -> tuple[int, str]:
        db.session.flush()
        db.session.expunge_all()
        with count_queries() as counter:
            html = page(client)
        return counter.count, html

    add(0, 3)
    few, html = statements()
    assert html.count('<tr id="line-') == 3 and "$5.00" in html and badge(html) == "3"
    add(3, 20)
    many, html = statements()
    assert html.count('<tr id="line-') == 20 and badge(html) == "20"
    # signed-in user, header badges (unread + cart lines), the priced lines, the active rebate programs (simulator)
    assert few == many == 4
