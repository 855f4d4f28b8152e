"""The footer's language switcher: 简体中文 and back to English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def switch_language(page, code: str) -> None:
    with page.expect_navigation():
        page.locator("#language-select").select_option(code)  # portal.js submits the form on change
    check_page(page)


def test_signed_in_user_switches_to_simplified_chinese_and_back_and_the_choice_is_kept(page, live_server):
    live_server.add_user("lin.language@demo.test", "Lin Language", role="trainer")
    sign_in(page, "lin.language@demo.test")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")

    switch_language(page, "zh_Hans")
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("#language-select")).to_have_value("zh_Hans")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()  # the page text is Chinese
    visit(page, "/account/")  # saved on the profile: the next page is in Chinese too
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("h1")).to_have_text("个人资料")
    expect(page).to_have_url(f"{live_server.url}/account/")

    switch_language(page, "en")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your profile")
    expect(page).to_have_url(f"{live_server.url}/account/")  # the switcher stays on the page it was used on
    visit(page, "/")
    expect(html).to_have_attribute("lang", "en")


def test_visitor_switches_the_sign_in_page_to_simplified_chinese_and_back(page):
    visit(page, "/login")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    switch_language(page, "zh_Hans")
    expect(html).to_have_attribute("lang", "zh-Hans")
    visit(page, "/forgot")  # kept in the session
    expect(html).to_have_attribute("lang", "zh-Hans")
    switch_language(page, "en")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{page.url.split('/forgot')[0]}/forgot")
