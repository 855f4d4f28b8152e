"""Enablement in Chromium: a trainer builds a course with two lessons and a quiz, defines its certification and
publishes; a partner user takes it, fails once, passes, receives the certificate, and the public verification
page confirms it. Every page is axe-core clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

COURSE = "E2E Router basics"


def build_course(page) -> None:
    sign_in(page, "trainer@demo.test")
    visit(page, "/training/")
    page.get_by_role("button", name="New course").click()
    page.get_by_label("Title").fill(COURSE)
    page.get_by_label("Summary").fill("Routers in two lessons.")
    page.get_by_label("Pass mark (%)").fill("100")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("h1")).to_have_text(COURSE)
    check_page(page)
    for title, text in (("What a router does", "# Routing\n\nIt **forwards** packets."),
                        ("Choosing one", "Pick by *ports*.")):
        page.get_by_role("button", name="Add a lesson").click()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Content (Markdown)").fill(text)
        check_page(page)
        page.get_by_role("button", name="Save the lesson").click()
        expect(page.locator("#lessons")).to_contain_text(title)
    page.get_by_label("Question", exact=True).fill("What does a router forward?")
    page.get_by_label("Answer 1", exact=True).fill("Packets")
    page.get_by_label("Answer 2", exact=True).fill("Faxes")
    page.get_by_label("Answer 1 is correct").check()
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator("#quiz")).to_contain_text("What does a router forward?")
    check_page(page)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("hgroup")).to_contain_text("Published")
    check_page(page)

    visit(page, "/training/certifications/new")
    page.get_by_label("Name", exact=True).fill("E2E Router Associate")
    page.get_by_label("Valid for (months)").fill("12")
    page.get_by_label(COURSE).check()
    page.get_by_role("button", name="Save the certification").click()
    expect(page.locator("main table")).to_contain_text("E2E Router Associate")
    check_page(page)
    sign_out(page)


def answer(page, choice: str) -> None:
    expect(page.locator("h1")).to_contain_text("Quiz")
    check_page(page)
    page.get_by_label(choice).check()
    page.get_by_role("button", name="Submit answers").click()


def test_a_trainer_publishes_a_course_and_a_partner_gets_certified_and_verified(page, live_server):
    build_course(page)
    live_server.add_user("lea.learner@example.test", "Lea Learner", partner="Northwind Trading")
    sign_in(page, "lea.learner@example.test")
    visit(page, "/courses/")
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator("#quiz")).to_be_visible()
    check_page(page)
    for title in ("What a router does", "Choosing one"):
        page.get_by_role("link", name=title).first.click()
        check_page(page)
        page.get_by_role("button", name="Mark complete").click()
        expect(page.locator("main")).to_contain_text("You completed this lesson.")
        page.get_by_role("link", name=COURSE).click()
    expect(page.locator("#lessons")).to_contain_text("2 of 2 lessons complete")

    page.get_by_role("button", name="Take the quiz").click()
    answer(page, "Faxes")
    expect(page.locator(".quiz-verdict")).to_contain_text("Failed")
    expect(page.locator(".quiz-result")).to_contain_text("wrong")
    check_page(page)
    page.get_by_role("button", name="Try again").click()
    answer(page, "Packets")
    expect(page.locator(".quiz-verdict")).to_contain_text("Passed")
    expect(page.locator("#toasts")).to_contain_text("Congratulations: certificate CERT-")
    check_page(page)

    page.get_by_role("link", name="My certifications").first.click()
    expect(page.locator("main table")).to_contain_text("E2E Router Associate")
    check_page(page)
    page.get_by_role("link", name="E2E Router Associate").click()
    number = re.search(r"CERT-[A-Z2-9]{5}-[A-Z2-9]{5}", page.locator("article.certificate").inner_text()).group(0)
    check_page(page)
    sign_out(page)

    visit(page, f"/verify/{number}")
    verification = page.locator("#verification")
    expect(verification).to_contain_text("Lea Learner")
    expect(verification).to_contain_text("E2E Router Associate")
    expect(verification).to_contain_text("Valid")
    expect(verification).not_to_contain_text("Northwind")
