"""Forgotten password, end to end: page → outbox → real RQ worker → SMTP → link → new password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit, wait_for_mail

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

BEN = "ben@northwind.demo.test"
NEW_PASSWORD = "a-new-e2e-password"


def test_forgotten_password_is_reset_with_the_emailed_link(page, live_server):
    smtp = live_server.smtp
    with smtp.lock:
        before = len(smtp.messages)
    try:
        visit(page, "/login")
        page.get_by_role("link", name="Forgot your password?").click()
        expect(page.locator("h1")).to_have_text("Reset your password")
        check_page(page)
        page.get_by_label("E-mail").fill(BEN)
        page.get_by_role("button", name="Send reset link").click()
        expect(page.locator("h1")).to_have_text("Check your e-mail")
        expect(page.get_by_role("status").filter(has_text=BEN)).to_be_visible()
        check_page(page)

        message = wait_for_mail(smtp, BEN, since=before, timeout=20)
        assert message is not None, "no reset e-mail reached the SMTP server; worker log:\n" + \
            live_server.worker_output()[-3000:]
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        links = re.findall(re.escape(live_server.url) + r"/reset/[A-Za-z0-9_\-]+", text)
        assert len(links) == 1, text
        assert links[0] in html

        visit(page, links[0])
        expect(page.locator("h1")).to_have_text("Choose a new password")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set password").click()
        expect(page.locator("h1")).to_have_text("Sign in")
        expect(page.locator("#toasts")).to_contain_text("Your password is set. Sign in with it now.")
        check_page(page)

        # the old password no longer works; the form answers in place with the message
        page.get_by_label("E-mail").fill(BEN)
        page.get_by_label("Password", exact=True).fill("portal-demo")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#password-error")).to_have_text("E-mail or password is not correct.")
        expect(page.locator("h1")).to_have_text("Sign in")
        check_page(page)

        sign_in(page, BEN, NEW_PASSWORD)
        expect(page.locator("h1")).to_have_text("Welcome, Ben Brooks")
        sign_out(page)

        visit(page, links[0], status=404)  # the link works once
        expect(page.locator("h1")).not_to_have_text("Choose a new password")
    finally:
        live_server.set_password(BEN)  # other tests sign in as Ben with the demo password
