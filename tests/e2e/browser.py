"""What the e2e tests do in the browser: visit and check pages (axe-core), sign in and out, wait for mail."""

from __future__ import annotations

import json
import time

from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD

AXE_URL_PATH = "/__e2e__/axe.min.js"  # served by page.route (tests/e2e/conftest.py): same origin, CSP allows it


def check_page(page: Page) -> None:
    """0 serious/critical axe-core violations, and no script errors or CSP violations so far."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL_PATH)
    results = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary, html: n.html}))}));
    }""")
    assert not results, f"axe-core on {page.url}:\n" + json.dumps(results, indent=2, ensure_ascii=False)
    problems = getattr(page, "e2e_problems", [])
    assert not problems, f"browser errors on {page.url}:\n" + "\n".join(problems)


def visit(page: Page, path: str, status: int = 200):
    """Navigate, assert the HTTP status, and check the page with axe-core."""
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response and response.status)
    check_page(page)
    return response


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    visit(page, "/login")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_contain_text("Welcome")
    check_page(page)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()
    check_page(page)


def wait_for_mail(smtp, to: str, since: int, timeout: float = 20.0):
    """The first message to ``to`` that arrived after the first ``since`` messages, polled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with smtp.lock:
            for message in smtp.messages[since:]:
                if to in str(message["To"]):
                    return message
        time.sleep(0.2)
    return None
