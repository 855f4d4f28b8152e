"""Enablement's demo data: a published course with two lessons and a quiz, its certification held by the demo
partners' people (so Northwind keeps Gold), resources and an announcement — once, however often it runs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import demo
from portal.announcements.models import Announcement
from portal.core.time import utcnow
from portal.partners.models import Partner
from portal.resources.models import Resource
from portal.training import service
from portal.training.models import Certificate, Course, Lesson, Question

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
