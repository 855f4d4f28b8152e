"""htmx swaps fragments in place: search results, a form with an error, a row action, the badge."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

MARKER = "window.__e2eMarker"  # set before an action: it survives a fragment swap, not a page load


def set_marker(page) -> None:
    page.evaluate(f"{MARKER} = 'still the same page'")


def marker_survived(page) -> bool:
    return page.evaluate(f"{MARKER} === 'still the same page'")


def test_typing_in_the_user_search_swaps_only_the_results(page, live_server):
    live_server.add_user("zed.searchable@northwind.demo.test", "Zed Searchable", partner="Northwind Trading")
    sign_in(page, "admin@demo.test")
    visit(page, "/users/")
    rows = page.locator("#results tbody tr")
    expect(rows.filter(has_text="anna@northwind.demo.test")).to_have_count(1)
    set_marker(page)

    with page.expect_response(lambda r: "/users/?" in r.url and r.request.headers.get("hx-request") == "true") as hx:
        page.get_by_label("Search").press_sequentially("zed.search")
    assert hx.value.status == 200
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zed Searchable")
    assert marker_survived(page), "the search reloaded the whole page"
    expect(page).to_have_url(re.compile(r"/users/\?q=zed\.search(&|$)"))  # hx-push-url: the list has an address
    check_page(page)


def test_deactivating_a_user_from_the_list_updates_the_row_in_place(page, live_server):
    user_id = live_server.add_user("olly.leaving@northwind.demo.test", "Olly Leaving", partner="Northwind Trading")
    sign_in(page, "admin@demo.test")
    visit(page, "/users/?q=olly.leaving")
    row = page.locator(f"#user-{user_id}")
    expect(row).to_contain_text("Active")
    set_marker(page)
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    row.get_by_role("button", name="Deactivate").click()
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    expect(row).to_contain_text("Deactivated")
    expect(page.locator("#toasts")).to_contain_text("olly.leaving@northwind.demo.test is deactivated and signed out.")
    assert dialogs == ["Deactivate olly.leaving@northwind.demo.test? They are signed out at once."]
    assert marker_survived(page), "deactivating reloaded the whole page"
    check_page(page)

    page.reload()  # the change is stored, not only shown
    expect(page.locator(f"#user-{user_id}")).to_contain_text("Deactivated")
    check_page(page)


def test_a_profile_with_an_empty_name_shows_the_message_at_the_field(page):
    sign_in(page, "manager@demo.test")
    visit(page, "/account/")
    set_marker(page)
    name = page.locator("#profile-form").get_by_label("Name")
    name.fill("")
    with page.expect_response(lambda r: r.url.endswith("/account/") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Save profile").click()
    assert answer.value.status == 422
    expect(page.locator("#name-error")).to_have_text("Enter your name.")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", "name-error")
    expect(page.locator("h1")).to_have_text("Your profile")  # the rest of the page is still there
    assert marker_survived(page), "the form error reloaded the whole page"
    check_page(page)

    name.fill("Max Manager")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#toasts")).to_contain_text("Your profile is saved.")
    expect(page.locator("#name-error")).to_have_count(0)
    check_page(page)


def test_the_notification_badge_follows_mark_all_read_and_sign_out_still_works(page, live_server):
    live_server.add_notification("trainer@demo.test", "Your course was published.", key="e2e-badge")
    sign_in(page, "trainer@demo.test")
    badge = page.locator("#notification-badge")
    # the demo seed's welcome notification and this one
    expect(badge).to_have_accessible_name("Notifications: 2 unread")
    expect(badge.locator(".badge")).to_have_text("2")

    badge.click()  # a boosted link: the list page
    expect(page.locator("h1")).to_have_text("Notifications")
    expect(page.locator("#notification-list")).to_contain_text("Your course was published.")
    check_page(page)
    set_marker(page)
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#notification-list").get_by_role("button", name="Mark read")).to_have_count(0)
    expect(page.locator("#notification-badge")).to_have_accessible_name("Notifications: 0 unread")
    expect(page.locator("#notification-badge .badge")).to_have_count(0)
    assert marker_survived(page)
    check_page(page)
    sign_out(page)
