"""The first screen's enablement panel: a trainer sees the courses with enrolments and pass rates and the
certifications expiring soon; a partner person sees their courses in progress and their certifications with
their expiry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.dates import format_date

from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.training.models import Attempt, Enrolment
from tests import factories

pytestmark = pytest.mark.pg


def panel(html: str, css_class: str) -> str:
    found = re.search(rf'<article class="{css_class}">(.*?)</article>', html, re.S)
    assert found, f"no {css_class} on the dashboard"
    return re.sub(r"\s+", " ", found.group(1))


def test_a_trainers_first_screen_shows_courses_with_enrolments_and_pass_rates_and_certifications_expiring_soon(
        client, db, login):
    trainer = factories.vendor(role=Role.TRAINER, name="Tina Trainer")
    course = factories.course(title="Panel course")
    people = [factories.partner_user(name=f"Person {n}") for n in range(2)]
    for n, person in enumerate(people):
        db.session.add(Enrolment(course_id=course.id, user_id=person.id, partner_id=person.partner_id))
        db.session.add(Attempt(course_id=course.id, user_id=person.id, partner_id=person.partner_id, order=[],
                               answers={}, submitted_at=utcnow(), score=90 if n == 0 else 10, passed=n == 0))
    cert = factories.certification([course], name="Panel Associate", months=12)
    soon = factories.certificate(people[0], cert, issued_at=utcnow() - timedelta(days=355))  # expires in ~10 days
    factories.certificate(people[1], cert)  # a year to go: not soon
    db.session.commit()
    login(trainer)
    html = panel(client.get("/").get_data(as_text=True), "training-panel")
    assert re.search(r"Panel course</a></td><td[^>]*>2</td><td[^>]*>50.0 %</td>", html), html
    assert "Certifications expiring in 30 days" in html
    assert html.count("Panel Associate") == 1 and f"{soon.holder_name} (" in html


def test_the_trainers_panel_shows_the_courses_with_most_enrolments_first(client, db, login):
    from portal.training.dashboard import PANEL_ROWS

    courses = [factories.course(title=f"Busy {chr(65 + n)}") for n in range(PANEL_ROWS + 1)]
    for n, course in enumerate(courses):  # "Busy A" has 1 enrolment, the last one PANEL_ROWS + 1
        for _ in range(n + 1):
            person = factories.partner_user()
            db.session.add(Enrolment(course_id=course.id, user_id=person.id, partner_id=person.partner_id))
    db.session.commit()
    login(factories.vendor(role=Role.TRAINER))
    html = panel(client.get("/").get_data(as_text=True), "training-panel")
    shown = re.findall(r"(Busy [A-Z])</a></td><td[^>]*>(\d+)</td>", html)
    assert shown == [(c.title, str(n + 1)) for n, c in reversed(list(enumerate(courses)))][:PANEL_ROWS]


def test_a_partners_first_screen_shows_courses_in_progress_and_certifications_with_their_expiry(client, db, login):
    person = factories.partner_user(name="Pia Partner")
    going = factories.course(title="Half done course")
    finished = factories.course(title="Finished course")
    for course in (going, finished):
        db.session.add(Enrolment(course_id=course.id, user_id=person.id, partner_id=person.partner_id,
                                 completed_at=utcnow() if course is finished else None))
    cert = factories.certification([finished], name="Held Certification", months=12)
    held = factories.certificate(person, cert)
    db.session.commit()
    login(person)
    html = panel(client.get("/").get_data(as_text=True), "learning-panel")
    assert "Half done course</a> · 0 of 2 lessons" in html
    assert "Finished course" not in html  # complete: no longer in progress
    expiry = format_date(held.expires_at.date(), "medium", locale="en")
    assert f"Held Certification</a> · Valid · until {expiry}" in html


def test_people_who_neither_train_nor_learn_see_no_training_panel(client, db, login):
    login(factories.vendor(role=Role.CHANNEL_MANAGER))
    html = client.get("/").get_data(as_text=True)
    assert "training-panel" not in html and "learning-panel" not in html
