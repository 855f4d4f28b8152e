"""Enablement rules at their boundaries: quiz scoring, shuffling per attempt, validity periods
[issued, expires), certified people for tiers, automatic award and renewal, Markdown sanitising."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.core.time import utcnow
from portal.training import audience, quiz, service
from portal.training.markdown import render
from portal.training.models import Attempt, Certificate
from tests import factories

pytestmark = pytest.mark.pg


# --- scoring ---------------------------------------------------------------------------------------------

def test_a_question_is_right_only_with_exactly_its_correct_options():
    correct = {1: {10}, 2: {20, 21}, 3: {30}}
    assert quiz.score(correct, {1: {10}, 2: {20, 21}, 3: {30}}) == (100, set())
    assert quiz.score(correct, {1: {10}, 2: {20}, 3: {30, 31}}) == (33, {2, 3})  # a subset or extra is wrong
    assert quiz.score(correct, {}) == (0, {1, 2, 3})


def test_the_score_rounds_half_up_to_a_whole_percent():
    correct = {n: {n} for n in range(8)}
    assert quiz.score(correct, {n: {n} for n in range(7)})[0] == 88  # 87.5 → 88
    assert quiz.score({1: {1}, 2: {2}}, {1: {1}})[0] == 50


# --- validity -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "months", "end"), [
    (datetime(2026, 1, 31, 9, 30, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
    (datetime(2028, 1, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2026, 11, 15, tzinfo=UTC), 3, datetime(2027, 2, 15, tzinfo=UTC)),
    (datetime(2026, 3, 1, tzinfo=UTC), 24, datetime(2028, 3, 1, tzinfo=UTC)),
])
def test_validity_adds_calendar_months_clamped_to_the_months_end(start, months, end):
    assert service.add_months(start, months) == end


def test_a_certificate_counts_from_its_issue_until_just_before_its_expiry(db):
    person = factories.partner_user()
    cert = factories.certification([factories.course()])
    issued = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    held = factories.certificate(person, cert, issued_at=issued, months=12)
    partner = person.partner_id
    assert service.certified_people([partner], issued - timedelta(microseconds=1)) == {}
    assert service.certified_people([partner], issued) == {partner: 1}
    assert service.certified_people([partner], held.expires_at - timedelta(microseconds=1)) == {partner: 1}
    assert service.certified_people([partner], held.expires_at) == {}
    assert service.status_at(held, held.expires_at) == "expired"


def test_revoked_certificates_and_deactivated_people_do_not_count(db):
    cert = factories.certification([factories.course()])
    first = factories.partner_user()
    second = factories.partner_user(partner=first.partner)
    third = factories.partner_user(partner=first.partner, active=False)
    factories.certificate(first, cert)
    factories.certificate(second, cert, status="revoked")
    factories.certificate(third, cert)
    factories.certificate(first, factories.certification([factories.course()], name="Other"))
    assert service.certified_people([first.partner_id], utcnow()) == {first.partner_id: 1}


def test_tiers_read_certified_people_from_enablement(db):
    from portal.partners import tiers

    person = factories.partner_user()
    factories.certificate(person, factories.certification([factories.course()]))
    assert tiers.certified_people([person.partner_id], utcnow()) == {person.partner_id: 1}
    assert tiers.certified_people([person.partner_id], utcnow() + timedelta(days=400)) == {}


# --- awarding -----------------------------------------------------------------------------------------------

def passed(user, course, at):
    attempt = Attempt(course_id=course.id, user_id=user.id, partner_id=user.partner_id, order=[], answers={},
                      submitted_at=at, score=100, passed=True)
    factories._session().add(attempt)
    factories._session().flush()


def test_a_certification_is_awarded_when_the_last_required_quiz_is_passed(db, app):
    person = factories.partner_user()
    first, second = factories.course(title="One"), factories.course(title="Two")
    factories.certification([first, second], months=6)
    now = utcnow()
    with app.test_request_context():
        passed(person, first, now)
        assert service.award_for(person, first.id, now) == []
        passed(person, second, now)
        [certificate] = service.award_for(person, second.id, now)
    assert (certificate.issued_at, certificate.expires_at) == (now, service.add_months(now, 6))


def test_renewal_needs_every_quiz_passed_again_and_starts_a_new_period(db, app):
    person = factories.partner_user()
    first, second = factories.course(title="One"), factories.course(title="Two")
    factories.certification([first, second], months=12)
    start = utcnow() - timedelta(days=300)
    with app.test_request_context():
        passed(person, first, start)
        passed(person, second, start)
        [old] = service.award_for(person, second.id, start)
        later = utcnow()
        passed(person, first, later)
        assert service.award_for(person, first.id, later) == []  # the second quiz's pass is from the old period
        passed(person, second, later)
        [new] = service.award_for(person, second.id, later)
    assert new.number != old.number and new.issued_at == later and new.expires_at == service.add_months(later, 12)
    assert len(db.session.scalars(select(Certificate)).all()) == 2


def test_certificate_numbers_are_unique(db):
    numbers = {service.new_number() for _ in range(200)}
    assert len(numbers) == 200


# --- shuffling ---------------------------------------------------------------------------------------------

def test_each_attempt_shows_the_questions_in_its_own_order(db):
    course = factories.course(questions=6)
    person = factories.partner_user()
    from portal.training.models import Enrolment

    db.session.add(Enrolment(course_id=course.id, user_id=person.id, partner_id=person.partner_id))
    db.session.flush()
    orders = []
    for seed in (1, 2):
        attempt = quiz.start(person, course.id, rng=random.Random(seed))
        orders.append([qid for qid, _options in attempt.order])
        attempt.submitted_at, attempt.score, attempt.passed = utcnow(), 0, False
        db.session.flush()
    assert sorted(orders[0]) == sorted(orders[1]) and orders[0] != orders[1]


# --- audiences -----------------------------------------------------------------------------------------------

def test_an_audience_is_everyone_or_exactly_the_chosen_types_and_tiers():
    reseller = factories.PartnerFactory.build(type="reseller", tier_id=3, region="EMEA")
    assert audience.partner_in(reseller, "", "")
    assert audience.partner_in(reseller, audience.pack(["reseller", "agent"]), audience.pack([3]))
    assert not audience.partner_in(reseller, audience.pack(["distributor"]), "")
    assert not audience.partner_in(reseller, "", audience.pack([33]))
    assert not audience.partner_in(reseller, "", "", audience.pack(["APAC"]))


# --- Markdown -----------------------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "![x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](vbscript:msgbox(1))",
    '<a href="#" onclick="alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "`<script>` in code and <b onmouseover=alert(1)>bold</b>",
]


class Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML (escaped text stays text)."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


@pytest.mark.parametrize("payload", XSS)
def test_markdown_never_keeps_scripts_event_handlers_or_script_links(payload):
    parser = Elements()
    parser.feed(str(render(payload)))
    for tag, attrs in parser.found:
        assert tag not in {"script", "iframe", "svg", "object", "embed", "style", "details"}
        for name, value in attrs:
            assert not name.startswith("on") and name != "style"
            if name in ("href", "src"):
                assert re.sub(r"\s", "", value or "").lower().startswith(("http:", "https:", "mailto:", "#", "/"))


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = str(render("# Title\n\n**bold** and [docs](https://example.com)"))
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
