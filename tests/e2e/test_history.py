"""Back and Forward after htmx filters bring back whole pages: header, navigation, filters and results,
never a bare table (htmx asks the server again on history restore; the server answers the whole page)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _whole(page, heading: str, url: str) -> None:
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    expect(page.locator("header nav[aria-label=Main]")).to_be_visible()
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("#results")).to_have_count(1)
    expect(page.locator("footer .language-switcher")).to_be_visible()


def _walk(page, heading: str, urls: list[str]) -> None:
    """``urls``: the addresses visited in order; Back to the first, Forward to the last, three times."""
    for _ in range(3):
        for url in reversed(urls[:-1]):
            page.go_back()
            _whole(page, heading, url)
        for url in urls[1:]:
            page.go_forward()
            _whole(page, heading, url)
    check_page(page)


def _change(page, action, url_part: str) -> str:
    with page.expect_response(lambda r: url_part in r.url and r.request.headers.get("hx-request") == "true"):
        action()
    expect(page).to_have_url(re.compile(re.escape(url_part)))
    return page.url.replace(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2], "")


def test_back_and_forward_restore_the_catalogue(page):
    sign_in(page, "ben@northwind.demo.test")
    visit(page, "/catalogue/")
    urls = ["/catalogue/"]
    category = page.locator("#catalogue-category option").nth(1).get_attribute("value")
    urls.append(_change(page, lambda: page.select_option("#catalogue-category", category), f"category={category}"))
    urls.append(_change(page, lambda: page.select_option("#catalogue-sort", "price"), "sort=price"))
    urls.append(_change(page, lambda: page.select_option("#catalogue-stock", "1"), "in_stock=1"))
    _walk(page, "Catalogue", urls)


def test_back_and_forward_restore_the_order_history(page):
    sign_in(page, "anna@northwind.demo.test")
    visit(page, "/orders/")
    urls = ["/orders/"]
    urls.append(_change(page, lambda: page.select_option("#order-status", "delivered"), "status=delivered"))
    urls.append(_change(page, lambda: page.fill("#order-from", "2020-01-01"), "from=2020-01-01"))
    urls.append(_change(page, lambda: page.select_option("#order-status", ""), "status=&"))
    _walk(page, "Orders", urls)


def test_back_and_forward_restore_the_order_queue(page):
    sign_in(page, "manager@demo.test")
    visit(page, "/queue/?tab=all")
    urls = ["/queue/?tab=all"]
    for term in ("NW-0001", "NOPE-42"):
        def search(term=term):
            page.fill("#queue-q", term)
            page.locator("#queue-q").press("Enter")
        urls.append(_change(page, search, f"q={term}"))
    _walk(page, "Order queue", urls)


def test_back_and_forward_restore_the_users_and_the_audit_log(page):
    sign_in(page, "admin@demo.test")
    visit(page, "/users/")
    urls = ["/users/"]
    urls.append(_change(page, lambda: page.select_option("#user-role", "partner_admin"), "role=partner_admin"))
    urls.append(_change(page, lambda: page.select_option("#user-status", "active"), "status=active"))
    _walk(page, "Users", urls)

    visit(page, "/audit/")
    urls = ["/audit/"]
    urls.append(_change(page, lambda: (page.fill("#audit-action", "user."), page.locator("#audit-action").blur()),
                        "action=user."))
    urls.append(_change(page, lambda: (page.fill("#audit-entity", "User"), page.locator("#audit-entity").blur()),
                        "entity_type=User"))
    _walk(page, "Audit log", urls)


def test_the_active_queue_tab_stands_out(page):
    sign_in(page, "manager@demo.test")
    visit(page, "/queue/?tab=approved")
    active = page.locator("nav.tabs a[aria-current=page]")
    expect(active).to_have_count(1)
    expect(active).to_have_text("To ship")
    style = """e => { const s = getComputedStyle(e); return [s.fontWeight, s.borderBottomWidth, s.borderBottomColor,
                      s.backgroundColor]; }"""
    weight, border, border_colour, background = active.evaluate(style)
    other = page.locator("nav.tabs a:not([aria-current])").first.evaluate(style)
    assert int(weight) >= 700 > int(other[0])
    assert float(border.rstrip("px")) >= 3 and border_colour != other[2] and background != other[3]


# Every other list page whose filters push their URL: (who, page, its heading, the selects changed in turn with
# the index of the option chosen). Each comes back whole on Back and Forward like the pages above.
LIST_PAGES = [
    ("ben@northwind.demo.test", "/deals/", "My deals", [("deal-status", 1), ("deal-expiry", 1)]),
    ("manager@demo.test", "/deal-review/", "Deal review", [("review-status", 1), ("review-status", 2)]),
    ("anna@northwind.demo.test", "/mdf/", "Market development funds", [("mdf-status", 1), ("mdf-period", 1)]),
    ("admin@demo.test", "/partners/", "Partners", [("partner-status", 1), ("partner-type", 1)]),
    ("admin@demo.test", "/applications/", "Partner applications",
     [("application-status", 1), ("application-sort", 1)]),
    ("admin@demo.test", "/admin/rebates/statements", "Rebate statements",
     [("statement-status", 1), ("statement-program", 1)]),
    ("ben@northwind.demo.test", "/resources/", "Resources", [("resource-category", 1), ("resource-category", 2)]),
    ("ben@northwind.demo.test", "/courses/", "Courses", [("course-level", 1), ("course-level", 2)]),
]


@pytest.mark.parametrize(("who", "start", "heading", "changes"), LIST_PAGES, ids=[p[1] for p in LIST_PAGES])
def test_back_and_forward_restore_every_other_filtered_list(page, who, start, heading, changes):
    sign_in(page, who)
    visit(page, start)
    urls = [start]
    for select_id, index in changes:
        field = page.locator(f"#{select_id}")
        value = field.locator("option").nth(index).get_attribute("value")
        part = urlencode({field.get_attribute("name"): value})
        urls.append(_change(page, lambda field=field, value=value: field.select_option(value), part))
    _walk(page, heading, urls)
