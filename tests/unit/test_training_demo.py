"""Enablement's demo data: a published course with two lessons and a quiz, its certification held by the demo
partners' people (so Northwind keeps Gold), resources and an announcement — once, however often it runs; at the
large scale, volume for `make bench` that follows the same rules, added once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import demo
from portal.accounts.models import User
from portal.announcements.models import Announcement
from portal.core.time import utcnow
from portal.partners.models import Partner
from portal.resources.models import Resource, ResourceVersion
from portal.training import demo_large, service
from portal.training.audience import partner_in
from portal.training.models import (
    Attempt,
    Certificate,
    CertificationCourse,
    Course,
    Enrolment,
    Feedback,
    Lesson,
    LessonCompletion,
    Question,
)
from portal.training.service import add_months
from tests.unit.test_demo_seed import small_volume  # noqa: F401  (fixture)

pytestmark = pytest.mark.pg


def test_the_demo_has_a_course_a_certification_and_certified_people_once(db):
    demo.seed("small")
    demo.seed("small")
    course = db.session.scalar(select(Course).where(Course.status == "published"))
    assert db.session.scalar(select(func.count(Lesson.id)).where(Lesson.course_id == course.id)) == 2
    assert db.session.scalar(select(func.count(Question.id)).where(Question.course_id == course.id)) == 3
    assert db.session.scalar(select(func.count(Certificate.id))) == 3
    assert db.session.scalar(select(func.count(Resource.id))) == 5
    assert db.session.scalar(select(func.count(Announcement.id))) == 1
    northwind = db.session.scalar(select(Partner.id).where(Partner.name == "Northwind Trading"))
    assert service.certified_people([northwind], utcnow()) == {northwind: 2}


def large_courses(db) -> int:
    return count(db, Course, Course.title.in_([demo_large.course_title(n) for n in range(24)]))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_small_seed_has_no_large_enablement(db):
    demo.seed("small")
    assert large_courses(db) == 0 and count(db, Course) == 2 and count(db, Enrolment) == 3


def test_the_large_seed_adds_enablement_volume_once(db, small_volume):  # noqa: F811
    first = demo.seed("large")
    rows = {model: count(db, model) for model in (Course, Enrolment, LessonCompletion, Attempt, Certificate,
                                                  Feedback, Resource, ResourceVersion)}
    assert demo.seed("large") == "0 users added; large data already present"
    assert {model: count(db, model) for model in rows} == rows
    assert large_courses(db) == 24 and rows[Resource] == 5 + 40 and rows[ResourceVersion] > rows[Resource]
    assert 250 < rows[Enrolment] - 3 < 550 and rows[Certificate] > 3 + 10
    assert f"24 courses, 6 certifications, 40 resources, {rows[Enrolment] - 3} enrolments" in first
    assert {s for (s,) in db.session.execute(select(Course.status))} == {"published", "draft", "archived"}
    assert {s for (s,) in db.session.execute(select(Certificate.status))} >= {"valid", "expired"}


def test_an_instance_seeded_large_before_gets_the_large_enablement_on_the_next_run(db, small_volume,  # noqa: F811
                                                                                  monkeypatch):
    with monkeypatch.context() as before:  # the large seed as it was before enablement had a large part
        before.setattr(demo_large, "seed", lambda: "")
        demo.seed("large")
    assert large_courses(db) == 0
    assert "24 courses" in demo.seed("large")
    assert large_courses(db) == 24


def test_large_enablement_follows_the_rules(db, small_volume):  # noqa: F811
    """Enrolments in courses of the person's audience, attempts after completing every lesson, a certificate
    after a passed attempt of its course, valid for 12 months and verifiable by its number."""
    demo.seed("large")
    now = utcnow()
    large = select(User.id).where(User.email.like("%.large.test"))
    for enrolment, course, partner in db.session.execute(
            select(Enrolment, Course, Partner).join(Course, Course.id == Enrolment.course_id)
            .join(Partner, Partner.id == Enrolment.partner_id).where(Enrolment.user_id.in_(large))):
        assert course.status != "draft" and partner_in(partner, course.audience_types, course.audience_tiers)
        lessons = count(db, Lesson, Lesson.course_id == course.id)
        done = count(db, LessonCompletion, LessonCompletion.user_id == enrolment.user_id,
                     LessonCompletion.lesson_id.in_(select(Lesson.id).where(Lesson.course_id == course.id)))
        assert (enrolment.completed_at is not None) == (done == lessons)
        attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == enrolment.user_id,
                                                            Attempt.course_id == course.id)).all()
        assert not attempts or enrolment.completed_at is not None
        assert all(a.passed == (a.score >= course.pass_mark) and a.submitted_at <= now for a in attempts)
    certificates = db.session.scalars(select(Certificate).where(Certificate.user_id.in_(large))).all()
    for certificate in certificates:
        assert certificate.expires_at == add_months(certificate.issued_at, 12)
        assert certificate.status == ("revoked" if certificate.revoked_at else service.status_at(certificate, now))
        course_id = db.session.scalar(select(CertificationCourse.course_id).where(
            CertificationCourse.certification_id == certificate.certification_id))
        assert db.session.scalar(select(Attempt.id).where(
            Attempt.user_id == certificate.user_id, Attempt.course_id == course_id, Attempt.passed.is_(True),
            Attempt.submitted_at == certificate.issued_at)) is not None
    assert len({c.number for c in certificates}) == len(certificates)
    held = service.verify(certificates[-1].number.lower(), now)
    assert held.certificate.id == certificates[-1].id
