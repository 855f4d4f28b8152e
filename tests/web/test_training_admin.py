"""Enablement, trainer side: building a course (lessons in order, attachments with limits, the quiz),
publishing it, certifications, and tracking with CSV exports."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.permissions import Role
from portal.training.models import Certification, Course, Lesson, Question
from tests import factories
from tests.web.test_product_files import multipart, uploads  # noqa: F401 - a fixture: a fresh upload folder

pytestmark = pytest.mark.pg

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def trainer(db, login):
    user = factories.vendor(role=Role.TRAINER, name="Tina Trainer")
    db.session.commit()
    login(user)
    return user


def course_form(**values) -> dict:
    data = {"title": "Selling switches", "summary": "How to sell.", "level": "beginner", "pass_mark": "80",
            "max_attempts": "3"}
    data.update(values)
    return data


def test_a_trainer_builds_a_course_with_lessons_and_a_quiz_and_publishes_it(client, db, trainer):
    response = client.post("/training/courses/new", data=course_form(audience_types=["reseller"]))
    assert response.status_code == 303
    course = db.session.scalar(select(Course).where(Course.title == "Selling switches"))
    assert (course.status, course.audience_types) == ("draft", ",reseller,")
    # publishing an empty course is refused with the reasons
    refused = client.post(f"/training/courses/{course.id}/status", data={"status": "published"})
    assert refused.status_code == 409 and "Add at least one lesson." in refused.get_data(as_text=True)
    for title in ("Why switches", "Pricing"):
        assert client.post(f"/training/courses/{course.id}/lessons/new",
                           data={"title": title, "content": "Some *text*"}).status_code == 303
    response = client.post(f"/training/courses/{course.id}/questions", data={
        "text": "Which ports?", "kind": "single", "option-1": "24", "option-2": "None", "correct": ["1"]})
    assert response.status_code == 303
    assert client.post(f"/training/courses/{course.id}/status", data={"status": "published"}).status_code == 303
    db.session.refresh(course)
    assert course.status == "published" and course.published_at is not None


@pytest.mark.parametrize(("fields", "message"), [
    ({"option-1": "A", "option-2": "B", "correct": []}, "Mark exactly one answer as correct."),
    ({"option-1": "A", "correct": ["1"]}, "Enter at least two answers."),
    ({"kind": "multiple", "option-1": "A", "option-2": "B", "correct": []}, "Mark at least one answer as correct."),
])
def test_a_question_needs_answers_and_a_correct_one(client, db, trainer, fields, message):
    course = factories.course(status="draft", questions=0)
    db.session.commit()
    response = client.post(f"/training/courses/{course.id}/questions", data={"text": "Q?", "kind": "single", **fields})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(Question).where(Question.course_id == course.id)) is None


def test_lessons_move_up_and_down_in_place(client, db, trainer):
    course = factories.course(status="draft", lessons=3)
    db.session.commit()
    first, second, third = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                                              .order_by(Lesson.position)).all()
    response = client.post(f"/training/lessons/{third.id}/move", data={"direction": "up"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="lessons">')
    assert html.index("Lesson 3") < html.index("Lesson 2")
    order = db.session.scalars(select(Lesson.title).where(Lesson.course_id == course.id)
                               .order_by(Lesson.position)).all()
    assert order == ["Lesson 1", "Lesson 3", "Lesson 2"]


def lesson_upload(client, lesson, content: bytes, filename: str, title: str = "Changed"):
    return client.post(f"/training/lessons/{lesson.id}",
                       data=multipart("attachment", content, filename, extra={"title": title, "content": "x"}),
                       content_type="multipart/form-data; boundary=BOUNDARY")


def test_an_attachment_is_stored_and_downloaded_as_an_attachment_with_a_safe_name(client, db, trainer, login,
                                                                                  uploads):  # noqa: F811
    course = factories.course()
    db.session.commit()
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    response = lesson_upload(client, lesson, PDF, "../../etc/guide.pdf", title=lesson.title)
    assert response.status_code == 303
    db.session.refresh(lesson)
    assert lesson.attachment_name == "guide.pdf" and "/" not in lesson.attachment_key
    learner = factories.partner_user()
    db.session.commit()
    login(learner)
    download = client.get(f"/lessons/{lesson.id}/attachment", buffered=True)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "guide.pdf" in download.headers["Content-Disposition"]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"MZ\x90\x00 not a pdf", "tool.pdf", "Upload a PDF, PNG or JPEG file."),
    (b"", "empty.pdf", "The file is empty."),
    (b"%PDF-" + b"0" * (10 * 1024 * 1024), "huge.pdf", "The file is larger than 10 MB."),
])
def test_an_upload_of_the_wrong_type_or_size_is_refused_and_nothing_is_written(client, db, trainer, content, name,
                                                                               message, uploads):  # noqa: F811
    course = factories.course()
    db.session.commit()
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    response = lesson_upload(client, lesson, content, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(lesson)
    assert lesson.attachment_key is None and lesson.title == "Lesson 1"
    assert list(uploads.iterdir()) == [] if uploads.exists() else True


def test_lesson_markdown_loses_scripts_handlers_and_javascript_links(client, db, trainer):
    course = factories.course()
    db.session.commit()
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    lesson.content = '<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<img src=x onerror=alert(1)>'
    db.session.commit()
    page = client.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    body = page.split('<div class="lesson-content">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and 'href="javascript' not in body and "<img" not in body


def test_a_trainer_defines_a_certification_from_course_quizzes(client, db, trainer):
    course = factories.course()
    db.session.commit()
    response = client.post("/training/certifications/new", data={
        "name": "Switch Expert", "validity_months": "24", "course_ids": [str(course.id)], "status": "active"})
    assert response.status_code == 303
    cert = db.session.scalar(select(Certification).where(Certification.name == "Switch Expert"))
    assert cert.validity_months == 24
    refused = client.post("/training/certifications/new", data={"name": "Nothing", "validity_months": "0"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Enter a validity from 1 to 120 months." in page and "Choose at least one course" in page


def test_partner_people_cannot_open_the_trainer_pages(client, db, login):
    login(factories.partner_user())
    db.session.commit()
    assert client.get("/training/").status_code == 403
    assert client.get("/training/reports").status_code == 403


def test_tracking_shows_enrolments_pass_rates_and_exports_csv(client, db, trainer):
    from portal.training.models import Attempt, Enrolment

    course = factories.course(title="Tracked course")
    people = [factories.partner_user() for _ in range(2)]
    for n, person in enumerate(people):
        db.session.add(Enrolment(course_id=course.id, user_id=person.id, partner_id=person.partner_id))
        db.session.add(Attempt(course_id=course.id, user_id=person.id, partner_id=person.partner_id, order=[],
                               answers={}, submitted_at=factories.utcnow(), score=100 if n == 0 else 40,
                               passed=n == 0))
    db.session.commit()
    page = client.get("/training/reports").get_data(as_text=True)
    assert "Tracked course" in page and "50.0 %" in page and "70.0 %" in page
    csv = client.get("/training/reports/courses.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "Tracked course,published,2,0,0.0,2,1,50.0,70.0" in csv.get_data(as_text=True)
    for table in ("partners", "expiring", "feedback"):
        assert client.get(f"/training/reports/{table}.csv").status_code == 200


def test_tracking_shows_certified_people_per_partner_feedback_and_expiry_in_30_60_or_90_days(client, db, trainer):
    from datetime import timedelta

    from portal.training.models import Feedback

    course = factories.course(title="Window course")
    cert = factories.certification([course], name="Window Associate", months=12)
    north = factories.PartnerFactory(name="North Windows")
    ann, bob = (factories.partner_user(north, name=n) for n in ("Ann Soon", "Bob Later"))
    year_ago = factories.utcnow() - timedelta(days=365)
    factories.certificate(ann, cert, issued_at=year_ago + timedelta(days=20))  # expires in about 20 days
    factories.certificate(bob, cert, issued_at=year_ago + timedelta(days=75))  # in about 75 days
    db.session.add(Feedback(course_id=course.id, user_id=ann.id, rating=2, comment="Too short"))
    db.session.commit()
    partners = client.get("/training/reports?table=partners").get_data(as_text=True)
    assert "North Windows</td><td data-label=\"Certified people\">2</td>" in partners
    assert "Too short" in client.get("/training/reports?table=feedback").get_data(as_text=True)
    expiring = client.get("/training/reports?table=expiring").get_data(as_text=True)
    assert "Ann Soon" in expiring and "Bob Later" not in expiring
    assert "Bob Later" not in client.get("/training/reports?table=expiring&days=60").get_data(as_text=True)
    ninety = client.get("/training/reports?table=expiring&days=90").get_data(as_text=True)
    assert "Ann Soon" in ninety and "Bob Later" in ninety
    assert "Ann Soon" not in partners  # one table at a time
    csv = client.get("/training/reports/expiring.csv?days=90").get_data(as_text=True)
    assert "Ann Soon" in csv and "Bob Later" in csv
    assert "Bob Later" not in client.get("/training/reports/expiring.csv?days=30").get_data(as_text=True)


def test_tracking_tables_come_in_pages_and_the_csv_has_every_row(client, db, trainer, monkeypatch):
    from datetime import timedelta

    from portal.blueprints import training_admin

    monkeypatch.setattr(training_admin, "SHOWN", 3)  # 4 partners with certified people, 4 expiring soon
    course = factories.course(title="Shown course")
    cert = factories.certification([course], name="Shown Associate", months=12)
    soon = factories.utcnow() - timedelta(days=350)
    for n in range(4):
        person = factories.partner_user(factories.PartnerFactory(name=f"Shown Partner {n}"), name=f"Holder {n}")
        factories.certificate(person, cert, issued_at=soon + timedelta(days=n))
    db.session.commit()

    def shown(url: str, names: list[str]) -> list[str]:
        page = client.get(url).get_data(as_text=True)
        return [name for name in names if name in page]

    holders = [f"Holder {n}" for n in range(4)]
    assert shown("/training/reports?table=expiring", holders) == holders[:3]
    assert shown("/training/reports?table=expiring&page=2", holders) == holders[3:]
    first = client.get("/training/reports?table=expiring").get_data(as_text=True)
    assert 'href="/training/reports?page=2&amp;table=expiring&amp;days=30" rel="next"' in first
    partners = [f"Shown Partner {n}" for n in range(4)]
    assert len(shown("/training/reports?table=partners", partners)) == 3
    assert len(shown("/training/reports?table=partners&page=2", partners)) == 1
    csv = client.get("/training/reports/expiring.csv").get_data(as_text=True)
    assert all(h in csv for h in holders)
    assert client.get("/training/reports/partners.csv").get_data(as_text=True).count("Shown Partner") == 4


def test_the_course_list_and_tracking_count_each_page_of_courses_right(client, db, trainer, monkeypatch):
    from portal.blueprints import training_admin
    from portal.training.models import Enrolment

    monkeypatch.setattr(training_admin, "SHOWN", 2)
    courses = [factories.course(title=f"Paged course {n}") for n in range(3)]
    for n, course in enumerate(courses):  # course n has n + 1 enrolments
        for _ in range(n + 1):
            person = factories.partner_user()
            db.session.add(Enrolment(course_id=course.id, user_id=person.id, partner_id=person.partner_id))
    db.session.commit()
    titles = [c.title for c in courses]
    for url in ("/training/", "/training/reports", "/training/reports?table=nonsense"):
        first, second = (client.get(f"{url}{'&' if '?' in url else '?'}page={n}").get_data(as_text=True)
                         for n in (1, 2))
        assert [t for t in titles if t in first] == titles[:2] and [t for t in titles if t in second] == titles[2:]
        assert re.search(r"Paged course 2</(a|td)>.*?>3</td>", second, re.S)  # its own 3 enrolments
        assert 'rel="next"' in first and 'rel="prev"' in second


def switch(client, login, user) -> None:
    """Sign out, then in as ``user``."""
    client.post("/logout")
    login(user)


def test_an_archived_course_leaves_the_catalogue_and_can_be_published_again(client, db, trainer, login):
    course = factories.course(title="Old switches")
    learner = factories.partner_user()
    db.session.commit()
    assert client.post(f"/training/courses/{course.id}/status", data={"status": "archived"}).status_code == 303
    refused = client.post(f"/training/courses/{course.id}/status", data={"status": "draft"})
    assert refused.status_code == 409 and "cannot become" in refused.get_data(as_text=True)
    switch(client, login, learner)
    assert "Old switches" not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{course.id}").status_code == 404
    switch(client, login, trainer)
    assert client.post(f"/training/courses/{course.id}/status", data={"status": "published"}).status_code == 303
    switch(client, login, learner)
    assert "Old switches" in client.get("/courses/").get_data(as_text=True)


def test_a_lesson_links_a_video_and_an_external_page_but_only_web_addresses(client, db, trainer, login):
    course = factories.course(lessons=0)
    db.session.commit()
    bad = client.post(f"/training/courses/{course.id}/lessons/new", data={
        "title": "Watch", "content": "x", "video_url": "javascript:alert(1)", "external_url": "ftp://files"})
    assert bad.status_code == 422 and bad.get_data(as_text=True).count("Enter a web address starting with") == 2
    assert client.post(f"/training/courses/{course.id}/lessons/new", data={
        "title": "Watch", "content": "x", "video_url": "https://video.example/router",
        "external_url": "https://docs.example/router"}).status_code == 303
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    switch(client, login, factories.partner_user())
    client.post(f"/courses/{course.id}/enrol")
    page = client.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    assert 'href="https://video.example/router"' in page and "Watch the video" in page
    assert 'href="https://docs.example/router"' in page and "Open the external link" in page
