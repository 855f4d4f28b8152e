"""Catalogue browsing: each partner sees its own exact net price; search, filters, pages, tenancy."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import column, func, select, table

from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.core.permissions import Role
from portal.core.time import utcnow
from tests import factories

_serial = count()


@pytest.fixture
def tiers(db):
    made = {name: Tier(name=f"{name} {next(_serial)}", rank=rank, discount_bp=bp)
            for name, rank, bp in (("Silver", 1, 500), ("Gold", 2, 1000))}
    db.session.add_all(made.values())
    db.session.flush()
    return made


def category(db, name: str | None = None) -> Category:
    row = Category(name=name or f"Category {next(_serial)}")
    db.session.add(row)
    db.session.flush()
    return row


def product(db, cat: Category, sku: str, name: str, price: int, **kw) -> Product:
    row = Product(sku=sku, name=name, description=kw.pop("description", ""), category_id=cat.id,
                  list_price_cents=price, currency="USD", unit="each", stock_on_hand=kw.pop("stock", 100),
                  min_order_qty=kw.pop("moq", 1), active=kw.pop("active", True), **kw)
    db.session.add(row)
    db.session.flush()
    return row


def member_of(tier: Tier | None, role: Role = Role.PARTNER_USER):
    return factories.partner_user(factories.PartnerFactory(tier_id=tier.id if tier else None), role)


def rows(html: str) -> list[str]:
    """SKUs of the result rows, in order."""
    return re.findall(r'<tr id="product-\d+" data-sku="([^"]+)"', html)


def get(client, path: str, **headers) -> str:
    response = client.get(path, headers={"Accept-Language": "en", **headers})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# --- prices -----------------------------------------------------------------------------------

@pytest.mark.pg
def test_a_gold_partner_sees_list_less_ten_percent_and_a_silver_partner_less_five_percent(db, client, login,
                                                                                        tiers):
    item = product(db, category(db), "RT-1", "Router One", 12999)  # 116.991 → 116.99; 123.4905 → 123.49
    login(member_of(tiers["Gold"]))
    html = get(client, "/catalogue/")
    assert "$116.99" in html and "<del" in html and "$129.99" in html
    page = get(client, f"/catalogue/{item.id}")
    assert "$116.99" in page and "$129.99" in page and "10.00% off list" in page

    client.post("/logout")
    login(member_of(tiers["Silver"]))
    html = get(client, "/catalogue/")
    assert "$123.49" in html and "$116.99" not in html
    assert "$123.49" in get(client, f"/catalogue/{item.id}")


@pytest.mark.pg
def test_half_a_cent_rounds_up_on_the_page(db, client, login, tiers):
    product(db, category(db), "CAB-1", "Cable", 25)  # 25 × 0.90 = 22.5 cents → 23
    login(member_of(tiers["Gold"]))
    assert "$0.23" in get(client, "/catalogue/")


@pytest.mark.pg
def test_a_product_tier_price_overrides_the_tier_discount(db, client, login, tiers):
    cat = category(db)
    special = product(db, cat, "SW-24", "Switch 24", 74900)
    product(db, cat, "SW-48", "Switch 48", 139900)
    db.session.add(ProductTierPrice(product_id=special.id, tier_id=tiers["Gold"].id, price_cents=64900))
    db.session.flush()
    login(member_of(tiers["Gold"]))
    html = get(client, "/catalogue/")
    assert "$649.00" in html and "$674.10" not in html  # the tier price, not 749 × 0.9
    assert "$1,259.10" in html  # the other product keeps the discount
    assert "tier price for this product" in get(client, f"/catalogue/{special.id}")

    client.post("/logout")
    login(member_of(tiers["Silver"]))  # the tier price is Gold's only
    assert "$711.55" in get(client, "/catalogue/")


def test_a_partner_without_a_tier_sees_list_prices(db, client, login):
    product(db, category(db), "RT-2", "Router Two", 12999)
    login(member_of(None))
    html = get(client, "/catalogue/")
    assert "$129.99" in html and "<del" not in html


def test_vendor_staff_see_list_prices_and_may_preview_a_tier(db, client, login, tiers):
    product(db, category(db), "RT-3", "Router Three", 12999)
    login(factories.vendor(Role.CHANNEL_MANAGER))
    assert "$116.99" not in get(client, "/catalogue/")
    preview = get(client, f"/catalogue/?tier={tiers['Gold'].id}")
    assert "$116.99" in preview and tiers["Gold"].name in preview


def test_a_partner_cannot_preview_another_tier(db, client, login, tiers):
    product(db, category(db), "RT-4", "Router Four", 12999)
    login(member_of(tiers["Silver"]))
    html = get(client, f"/catalogue/?tier={tiers['Gold'].id}")
    assert "$123.49" in html and "$116.99" not in html


# --- visibility -------------------------------------------------------------------------------

@pytest.mark.pg
def test_an_inactive_product_is_absent_for_partners_and_its_page_is_404(db, client, login, tiers):
    cat = category(db)
    product(db, cat, "ON-1", "Still Sold", 1000)
    gone = product(db, cat, "OFF-1", "Discontinued", 1000, active=False)
    db.session.commit()  # an error page rolls the session back
    login(member_of(tiers["Gold"]))
    assert rows(get(client, "/catalogue/")) == ["ON-1"]
    assert "Discontinued" not in get(client, "/catalogue/?q=OFF")
    response = client.get(f"/catalogue/{gone.id}")
    assert response.status_code == 404
    assert "Discontinued" not in response.get_data(as_text=True)


def test_vendor_staff_see_inactive_products_marked(db, client, login):
    gone = product(db, category(db), "OFF-2", "Old Model", 1000, active=False)
    login(factories.vendor())
    assert "(inactive)" in get(client, "/catalogue/")
    assert "Old Model" in get(client, f"/catalogue/{gone.id}")


def test_an_unknown_product_is_404(db, client, login):
    db.session.commit()
    login(member_of(None))
    assert client.get("/catalogue/999999").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/catalogue/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_catalogue_link(client, login, role):
    login(factories.vendor(role) if role.is_vendor else factories.partner_user(role=role))
    assert 'href="/catalogue/"' in get(client, "/")


# --- search, filter, sort, pages --------------------------------------------------------------

@pytest.fixture
def shelf(db):
    routers, switches = category(db, "Routers X"), category(db, "Switches X")
    product(db, routers, "IR-200", "工业路由器 IR-200", 64900, description="双 SIM 卡工业路由器")
    product(db, routers, "ER-1000", "Edge Router", 249900, description="Rack mount, BGP")
    product(db, switches, "SW-8U", "Unmanaged Switch", 3999, description="Fanless desktop switch 100% metal")
    return {"routers": routers, "switches": switches}


@pytest.mark.pg
def test_live_search_finds_by_sku_name_description_and_chinese_substring(client, login, shelf):
    login(member_of(None))
    assert rows(get(client, "/catalogue/?q=er-1000")) == ["ER-1000"]  # SKU, any case
    assert rows(get(client, "/catalogue/?q=UNMANAGED")) == ["SW-8U"]  # name
    assert rows(get(client, "/catalogue/?q=bgp")) == ["ER-1000"]  # description
    assert rows(get(client, "/catalogue/?q=路由器")) == ["IR-200"]  # Chinese, inside the name
    assert rows(get(client, "/catalogue/?q=SIM")) == ["IR-200"]  # Chinese description
    assert "No products match." in get(client, "/catalogue/?q=toaster")


@pytest.mark.pg
def test_percent_and_underscore_in_a_search_are_literal(client, login, shelf):
    login(member_of(None))
    assert rows(get(client, "/catalogue/?q=100%25")) == ["SW-8U"]
    assert rows(get(client, "/catalogue/?q=%25")) == ["SW-8U"]
    assert rows(get(client, "/catalogue/?q=_")) == []


@pytest.mark.pg
def test_search_follows_renames_and_takes_quotes_literally(db, client, login, shelf):
    login(member_of(None))
    item = db.session.scalar(select(Product).where(Product.sku == "ER-1000"))
    item.name, item.description = "Core Gateway", "Rack mount, OSPF"
    item.stock_on_hand = 7  # an update of other columns too
    db.session.flush()
    assert rows(get(client, "/catalogue/?q=gateway")) == ["ER-1000"]
    assert rows(get(client, "/catalogue/?q=Edge Router")) == []  # the old name is gone from the index
    assert rows(get(client, "/catalogue/?q=bgp")) == []
    assert rows(get(client, "/catalogue/?q=ospf")) == ["ER-1000"]
    for nonsense in ('"', 'a"b"c', "NEAR(x y)", "sw* OR 1", "'; --"):
        assert rows(get(client, "/catalogue/?q=" + nonsense.replace(" ", "+"))) == []


def test_searches_of_three_characters_or_more_use_the_sqlite_index(client, login, shelf, count_queries):
    """SQLite only (not marked pg): the trigram index is SQLite's; PostgreSQL searches with ILIKE."""
    login(member_of(None))

    def search_sql(q: str) -> str:
        with count_queries() as counter:
            html = get(client, f"/catalogue/?q={q}")
        return html, " ".join(s for s in counter.statements if "FROM products" in s)

    html, sql = search_sql("unmanaged")
    assert rows(html) == ["SW-8U"] and "products_search MATCH" in sql and "LIKE" not in sql
    html, sql = search_sql("路由")  # two characters: too short for trigrams, a scan finds it
    assert rows(html) == ["IR-200"] and "products_search" not in sql and "LIKE" in sql


@pytest.mark.pg
def test_the_category_filter_shows_that_category_only(client, login, shelf):
    login(member_of(None))
    html = get(client, f"/catalogue/?category={shelf['switches'].id}")
    assert rows(html) == ["SW-8U"]
    assert sorted(rows(get(client, f"/catalogue/?category={shelf['routers'].id}"))) == ["ER-1000", "IR-200"]


@pytest.mark.pg
def test_sorting_by_price_orders_by_the_partners_net_price(db, client, login, shelf, tiers):
    expensive = db.session.scalar(select(Product).where(Product.sku == "ER-1000"))
    # a Gold tier price makes the dearest product the cheapest for Gold partners only
    db.session.add(ProductTierPrice(product_id=expensive.id, tier_id=tiers["Gold"].id, price_cents=100))
    db.session.flush()
    login(member_of(tiers["Silver"]))
    assert rows(get(client, "/catalogue/?sort=price")) == ["SW-8U", "IR-200", "ER-1000"]
    assert rows(get(client, "/catalogue/")) == ["ER-1000", "SW-8U", "IR-200"]  # by name (Chinese last)
    client.post("/logout")
    login(member_of(tiers["Gold"]))
    assert rows(get(client, "/catalogue/?sort=price")) == ["ER-1000", "SW-8U", "IR-200"]


def test_sorting_by_newest_shows_the_latest_product_first(db, client, login):
    cat = category(db)
    for i, sku in enumerate(["OLD", "MID", "NEW"]):
        product(db, cat, sku, f"Item {sku}", 1000, created_at=utcnow() - timedelta(days=10 - i))
    login(member_of(None))
    assert rows(get(client, "/catalogue/?sort=newest")) == ["NEW", "MID", "OLD"]


def test_available_to_order_hides_products_below_one_minimum_order(db, client, login):
    cat = category(db)
    product(db, cat, "HAS", "Plenty", 1000, stock=50)
    product(db, cat, "NONE", "Sold out", 1000, stock=0)
    product(db, cat, "FEW", "Under MOQ", 1000, stock=4, moq=5)
    login(member_of(None))
    html = get(client, "/catalogue/")
    assert html.count("Out of stock") == 2 and "In stock" in html
    assert rows(get(client, "/catalogue/?in_stock=1")) == ["HAS"]


def test_stock_status_and_minimum_order_are_shown(db, client, login):
    cat = category(db)
    low = product(db, cat, "LOW", "Almost gone", 1000, stock=7, moq=2)
    login(member_of(None))
    assert "Low stock" in get(client, "/catalogue/")
    page = get(client, f"/catalogue/{low.id}")
    assert "Low stock" in page and re.search(r'class="moq">2<', page)


def test_the_live_search_form_is_wired_to_htmx(client, login, shelf):
    login(member_of(None))
    html = get(client, "/catalogue/")
    form = re.search(r"<form class=\"filters\"[^>]*>", html, re.S).group(0)
    assert 'hx-get="/catalogue/"' in form and 'hx-target="#results"' in form and 'hx-push-url="true"' in form
    assert "input changed delay:300ms from:#catalogue-q" in form
    assert 'id="catalogue-q"' in html


def test_an_htmx_search_returns_only_the_results_block(client, login, shelf):
    login(member_of(None))
    response = client.get("/catalogue/?q=edge", headers={"HX-Request": "true", "Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="results">')
    assert rows(html) == ["ER-1000"]
    assert "<html" not in html and 'class="filters"' not in html
    assert get(client, "/catalogue/?q=edge").lstrip().startswith("<!doctype html>")


def test_pages_link_to_the_next_one_keeping_the_filters(db, client, login):
    cat = category(db)
    for i in range(30):
        product(db, cat, f"PG-{i:02d}", f"Paged {i:02d}", 1000 + i)
    login(member_of(None))
    html = get(client, f"/catalogue/?category={cat.id}")
    assert len(rows(html)) == 24
    link = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert "page=2" in link and f"category={cat.id}" in link
    second = get(client, link)
    assert rows(second) == [f"PG-{i:02d}" for i in range(24, 30)]
    assert 'rel="next"' not in second and 'rel="prev"' in second


@pytest.mark.pg
def test_the_list_runs_the_same_queries_for_3_or_40_products(db, client, login, count_queries, tiers):
    me = member_of(tiers["Gold"])
    login(me)
    cat = category(db)

    def add(first: int, last: int) -> None:
        for i in range(first, last):
            item = product(db, cat, f"QC-{i:02d}", f"Counted {i:02d}", 1000 + i)
            if i % 3 == 0:
                db.session.add(ProductTierPrice(product_id=item.id, tier_id=tiers["Gold"].id, price_cents=500))

    def statements(path: str) -> tuple[int, str]:
        db.session.flush()
        db.session.expunge_all()
        with count_queries() as counter:
            html = get(client, path)
        return counter.count, html

    add(0, 3)
    few, html = statements("/catalogue/")
    assert len(rows(html)) == 3 and "$5.00" in html
    add(3, 40)
    many, html = statements("/catalogue/")
    assert len(rows(html)) == 24 and "$5.00" in html
    # signed-in user, header badges (unread + cart), the data versions of its ETag, the tier, the categories for
    # the filter, one page of products
    assert few == many == 6
    by_price, _ = statements("/catalogue/?sort=price")
    assert by_price == 6


@pytest.mark.parametrize("query", ["page=abc", "category=xyz", "sort=drop-table", "in_stock=maybe", "tier=x",
                                   "page=-4", "category=99999999999999999999", "q=" + "x" * 5000,
                                   "page=100000"])
def test_nonsense_query_parameters_show_the_default_list_not_an_error(client, login, shelf, query):
    login(member_of(None))
    response = client.get(f"/catalogue/?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert 'id="results"' in response.get_data(as_text=True)


def test_nonsense_parameters_fall_back_to_name_order_and_all_categories(client, login, shelf):
    login(member_of(None))
    assert rows(get(client, "/catalogue/?sort=drop-table&category=xyz&page=abc")) == \
        ["ER-1000", "SW-8U", "IR-200"]


# --- demo -------------------------------------------------------------------------------------

@pytest.mark.pg
def test_the_demo_catalogue_is_seeded_once_with_gold_northwind_and_silver_eastwind(db, client):
    from sqlalchemy import func

    from portal import demo
    from portal.partners.models import Partner

    demo.seed("small")
    demo.seed("small")
    assert db.session.scalar(select(func.count()).select_from(Product)) == 29
    assert db.session.scalar(select(func.count()).select_from(Tier)) == 4
    assert db.session.scalar(select(func.count()).select_from(ProductTierPrice)) == 1
    tier_of = dict(db.session.execute(select(Partner.name, Tier.name).join(Tier, Tier.id == Partner.tier_id)).all())
    assert tier_of == {"Northwind Trading": "Gold", "东风贸易有限公司 (Eastwind)": "Silver"}
    # Ben (Northwind, Gold) sees the Chinese router at 649.00 × 0.90, and not the inactive product
    client.post("/login", data={"email": "ben@northwind.demo.test", "password": demo.DEMO_PASSWORD})
    html = get(client, "/catalogue/?q=IR-200")
    assert rows(html) == ["IR-200"] and "$584.10" in html
    assert rows(get(client, "/catalogue/?q=HR-10")) == []


def _search_index_segments(db) -> int:
    return db.session.execute(select(func.count(func.distinct(column("segid")))).select_from(
        table("products_search_idx"))).scalar()


def test_the_periodic_job_merges_the_sqlite_search_index_and_searches_still_find(client, login, db):
    """SQLite only: each product written through the index's triggers adds a segment to merge."""
    from jobs.maintenance import optimize_search_index
    from jobs.schedule import PERIODIC

    cat = category(db)
    for n in range(40):
        product(db, cat, f"SEG-{n}", f"Segment router {n}", 1000 + n)
        db.session.flush()
    assert _search_index_segments(db) > 1
    assert optimize_search_index() is True
    assert _search_index_segments(db) == 1
    login(member_of(None))
    assert len(rows(get(client, "/catalogue/?q=Segment+router+1"))) == 11  # 1, 10–19
    assert ("jobs.maintenance.optimize_search_index", 86400) in PERIODIC


def test_a_csv_import_leaves_the_search_index_in_one_piece(db, client, login):
    from tests.web.test_catalogue_admin import csv_bytes, upload

    login(factories.vendor(Role.ADMIN))
    response = upload(client, csv_bytes([[f"IMP-SEG-{n}", f"Imported hub {n}", "", "Hubs", "9.99", "USD", "each",
                                          "5", "1", "true"] for n in range(30)]))
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    assert _search_index_segments(db) == 1
    assert len(rows(get(client, "/catalogue/?q=Imported+hub"))) == 24  # a full first page of the 30


# --- what a row and the filter show follows the data ------------------------------------------

def row_of(html: str, product_id: int) -> str:
    found = re.search(rf'<tr id="product-{product_id}".*?</tr>', html, re.S)
    assert found, html[:2000]
    return found.group(0)


def test_a_product_row_shows_its_new_stock_price_and_name(client, login, db):
    item = product(db, category(db), "ROW-CHANGE-1", "Row change switch", 2500, stock=500)
    login(factories.partner_user())
    before = row_of(get(client, "/catalogue/?q=ROW-CHANGE-1"), item.id)
    assert "In stock" in before and "$25.00" in before and "Row change switch" in before

    item.stock_on_hand, item.list_price_cents, item.name = 0, 2600, "Row change switch v2"
    db.session.flush()
    after = row_of(get(client, "/catalogue/?q=ROW-CHANGE-1"), item.id)
    assert "Out of stock" in after and "$26.00" in after and "Row change switch v2" in after
    assert "In stock" not in after and "$25.00" not in after


def test_vendor_staff_previewing_a_tier_get_product_links_that_keep_the_preview(client, login, db, tiers):
    item = product(db, category(db), "ROW-PREVIEW-1", "Row preview router", 1000)
    login(factories.vendor(Role.ADMIN))
    plain = row_of(get(client, "/catalogue/?q=ROW-PREVIEW-1"), item.id)
    preview = row_of(get(client, f"/catalogue/?q=ROW-PREVIEW-1&tier={tiers['Gold'].id}"), item.id)
    assert f'/catalogue/{item.id}"' in plain and "$10.00" in plain
    assert f'/catalogue/{item.id}?tier={tiers["Gold"].id}"' in preview and "$9.00" in preview


def test_a_renamed_category_shows_its_new_name_in_the_filter(client, login, db):
    renamed = category(db, "Filter test cables")
    login(factories.partner_user())
    assert f'<option value="{renamed.id}" >Filter test cables</option>' in get(client, "/catalogue/")

    renamed.name = "Filter test fibres"
    db.session.flush()
    after = get(client, "/catalogue/")
    assert "Filter test cables" not in after and f'<option value="{renamed.id}" >Filter test fibres</option>' in after
    chosen = get(client, f"/catalogue/?category={renamed.id}")
    assert f'<option value="{renamed.id}" selected>Filter test fibres</option>' in chosen
