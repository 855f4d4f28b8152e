"""Enablement, learner side: the catalogue of my audience, enrolment and progress, the quiz scored on the
server with an attempts limit, certificates awarded automatically and verified publicly; tenancy and
audience checks answer 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from portal.core.permissions import Role
from portal.training.models import Attempt, Certificate, Enrolment, Lesson, Option
from tests import factories

pytestmark = pytest.mark.pg


@pytest.fixture
def learner(db, login):
    user = factories.partner_user(name="Lena Learner")
    db.session.commit()
    login(user)
    return user


def options_of(html: str) -> dict[str, dict[str, str]]:
    """{question field: {option text: option id}} from a quiz page."""
    found: dict[str, dict[str, str]] = {}
    for name, value, text in re.findall(r'name="(q-\d+)" value="(\d+)"> ([^<]+)</label>', html):
        found.setdefault(name, {})[text.strip()] = value
    return found


def answer(client, attempt_id: int, html: str, choose: str) -> object:
    data = {name: texts[choose] for name, texts in options_of(html).items()}
    return client.post(f"/attempts/{attempt_id}", data=data)


def start(client, db, course) -> tuple[int, str]:
    response = client.post(f"/courses/{course.id}/quiz")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return attempt_id, client.get(f"/attempts/{attempt_id}").get_data(as_text=True)


def test_a_partner_enrols_completes_lessons_and_sees_progress(client, db, learner):
    course = factories.course()
    db.session.commit()
    assert course.title in client.get("/courses/").get_data(as_text=True)
    assert client.post(f"/courses/{course.id}/enrol").status_code == 303
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)).all()
    page = client.get(f"/lessons/{lessons[0].id}").get_data(as_text=True)
    assert "<h1>Lesson 1</h1>" in page  # the Markdown heading, rendered
    client.post(f"/lessons/{lessons[0].id}/complete")
    assert "1 of 2 lessons complete" in client.get(f"/courses/{course.id}").get_data(as_text=True)
    client.post(f"/lessons/{lessons[1].id}/complete")
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.completed_at is not None


def test_failing_then_passing_awards_the_certification_with_a_number_and_public_verification(client, db, learner,
                                                                                             outbox, run_jobs):
    course = factories.course(pass_mark=100)
    factories.certification([course], months=12)
    db.session.commit()
    client.post(f"/courses/{course.id}/enrol")
    attempt_id, html = start(client, db, course)
    response = answer(client, attempt_id, html, "Wrong")
    assert response.status_code == 303
    result = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Score: 0 %" in result and "Failed" in result and "wrong" in result
    assert db.session.scalar(select(Certificate)) is None

    attempt_id, html = start(client, db, course)
    answer(client, attempt_id, html, "Right")
    result = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Score: 100 %" in result and "Passed" in result
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert re.fullmatch(r"CERT-[A-Z2-9]{5}-[A-Z2-9]{5}", certificate.number)
    assert certificate.expires_at.year * 12 + certificate.expires_at.month == \
        certificate.issued_at.year * 12 + certificate.issued_at.month + 12
    run_jobs()
    assert any("You are certified" in m["Subject"] for m in outbox())

    client.post("/logout")
    public = client.get(f"/verify/{certificate.number}")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "Lena Learner" in text and "Certified Networker" in text and "Valid" in text
    assert learner.email not in text and learner.partner.name not in text


def test_the_quiz_page_never_says_which_answers_are_correct(client, db, learner):
    course = factories.course()
    db.session.commit()
    client.post(f"/courses/{course.id}/enrol")
    attempt_id, _page = start(client, db, course)

    def quiz_page() -> str:
        """The page with its CSRF tokens blanked: they carry the second they were made in."""
        text = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        return re.sub(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1", text)

    before = quiz_page()  # no flash message left to show
    assert "Right" in before and "correct" not in before.lower() and 'csrf_token" value=""' in before
    # the same attempt with every option's correctness flipped renders the very same page
    db.session.execute(update(Option).values(correct=~Option.correct))
    db.session.commit()
    assert quiz_page() == before


def test_attempts_beyond_the_limit_get_a_clear_error(client, db, learner):
    course = factories.course(max_attempts=2, pass_mark=100)
    db.session.commit()
    client.post(f"/courses/{course.id}/enrol")
    for _ in range(2):
        attempt_id, html = start(client, db, course)
        answer(client, attempt_id, html, "Wrong")
    response = client.post(f"/courses/{course.id}/quiz")
    assert response.status_code == 409
    assert "You have used all 2 attempts at this quiz." in response.get_data(as_text=True)
    assert db.session.scalar(select(Attempt).where(Attempt.submitted_at.is_(None))) is None


def test_an_attempt_is_submitted_once(client, db, learner):
    course = factories.course()
    db.session.commit()
    client.post(f"/courses/{course.id}/enrol")
    attempt_id, html = start(client, db, course)
    answer(client, attempt_id, html, "Wrong")
    assert answer(client, attempt_id, html, "Right").status_code == 409


def test_a_course_of_another_audience_its_lessons_and_attachments_are_404(client, db, learner):
    course = factories.course(audience_types=",distributor,")  # the learner's company is a reseller
    db.session.commit()
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    lesson.attachment_key, lesson.attachment_type, lesson.attachment_name = "abc.pdf", "application/pdf", "a.pdf"
    db.session.commit()
    assert course.title not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{course.id}").status_code == 404
    assert client.get(f"/lessons/{lesson.id}").status_code == 404
    assert client.get(f"/lessons/{lesson.id}/attachment").status_code == 404
    assert client.post(f"/courses/{course.id}/enrol").status_code == 404


def test_a_draft_course_is_not_listed_nor_open_to_partners(client, db, learner):
    course = factories.course(status="draft")
    db.session.commit()
    assert course.title not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{course.id}").status_code == 404


def test_someone_elses_attempt_and_certificate_are_404(client, db, learner):
    other = factories.partner_user()
    course = factories.course()
    cert = factories.certification([course])
    theirs = factories.certificate(other, cert)
    attempt = Attempt(course_id=course.id, user_id=other.id, partner_id=other.partner_id, order=[], answers={})
    db.session.add(attempt)
    db.session.commit()
    assert client.get(f"/attempts/{attempt.id}").status_code == 404
    assert client.get(f"/certificates/{theirs.id}").status_code == 404


def test_a_partner_admin_sees_the_companys_people_and_their_certifications(client, db, login):
    boss = factories.partner_user(role=Role.PARTNER_ADMIN, name="Bea Boss")
    colleague = factories.partner_user(partner=boss.partner, name="Carl Colleague")
    stranger = factories.partner_user(name="Sam Stranger")
    course = factories.course()
    cert = factories.certification([course])
    mine = factories.certificate(colleague, cert)
    factories.certificate(stranger, cert)
    db.session.commit()
    login(boss)
    page = client.get("/certificates/").get_data(as_text=True)
    assert "Carl Colleague" in page and mine.number in page and "Sam Stranger" not in page
    assert client.get(f"/certificates/{mine.id}").status_code == 200


def test_an_unknown_certificate_number_is_404_on_the_public_page(client, db):
    assert client.get("/verify/CERT-AAAAA-AAAAA").status_code == 404


def test_the_certificate_page_is_printable_with_the_number_and_dates(client, db, learner):
    course = factories.course()
    cert = factories.certification([course])
    mine = factories.certificate(learner, cert)
    db.session.commit()
    page = client.get(f"/certificates/{mine.id}").get_data(as_text=True)
    assert mine.number in page and "Lena Learner" in page and f"/verify/{mine.number}" in page


def test_an_enrolled_learner_rates_a_course_1_to_5_with_a_comment_and_rating_again_replaces_it(client, db, learner):
    from portal.training.models import Feedback

    course = factories.course(title="Rated course")
    db.session.commit()
    assert client.post(f"/courses/{course.id}/feedback", data={"rating": "4"}).status_code == 409  # not enrolled
    client.post(f"/courses/{course.id}/enrol")
    refused = client.post(f"/courses/{course.id}/feedback", data={"rating": "6", "comment": "x"})
    assert refused.status_code == 422 and "Choose a rating from 1 to 5." in refused.get_data(as_text=True)
    assert client.post(f"/courses/{course.id}/feedback", data={"rating": "4", "comment": "Clear <b>lessons</b>"}
                       ).status_code == 303
    assert client.post(f"/courses/{course.id}/feedback", data={"rating": "5", "comment": "Even better"}
                       ).status_code == 303
    assert [(f.rating, f.comment) for f in db.session.scalars(select(Feedback).where(
        Feedback.course_id == course.id))] == [(5, "Even better")]


def test_the_public_page_says_expired_or_revoked_and_shows_nothing_but_holder_certification_and_dates(client, db):
    from datetime import timedelta

    holder = factories.partner_user(name="Ola Old", partner=factories.PartnerFactory(name="Secret Partner Co"))
    cert = factories.certification([factories.course()], name="Old Certification")
    lapsed = factories.certificate(holder, cert, issued_at=factories.utcnow() - timedelta(days=400))
    revoked = factories.certificate(holder, cert, status="revoked", revoked_at=factories.utcnow())
    db.session.commit()
    for item, status in ((lapsed, "Expired"), (revoked, "Revoked")):
        page = client.get(f"/verify/{item.number}").get_data(as_text=True)
        shown = page.split('id="verification"', 1)[1].split("</article>", 1)[0]
        assert f'<strong class="status status-{status.lower()}">{status}</strong>' in shown
        assert "Ola Old" in shown and "Old Certification" in shown
        assert "Secret Partner Co" not in page and holder.email not in page
