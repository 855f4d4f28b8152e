"""Enablement's demo data (``portal.demo.seed`` calls ``seed``): idempotent, rows only (no audit, no e-mail).

A published course with two lessons and a three-question quiz, a certification requiring it, Northwind's two
people certified (Gold needs two: Northwind keeps it; Ben's certificate expires within 30 days, so the daily job
reminds him), Chen of Eastwind certified too (Eastwind needs one more for Gold), a draft course, library
resources (links) for everyone and for distributors only, and a pinned announcement. The large scale adds the
bulk part of ``portal.training.demo_large`` (skipped on its own when present).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.announcements.models import Announcement
from portal.core.time import utcnow
from portal.extensions import db
from portal.resources.models import Resource, ResourceVersion
from portal.training import demo_large
from portal.training.models import (
    Attempt,
    Certificate,
    Certification,
    CertificationCourse,
    Course,
    Enrolment,
    Lesson,
    LessonCompletion,
    Option,
    Question,
)
from portal.training.service import add_months, new_number

COURSE = "Selling industrial networks"
LESSONS = [
    ("Why industrial networks", "# Why industrial networks\n\nFactories need **rugged**, always-on networks.\n\n"
     "- harsh temperatures\n- vibration\n- 24/7 operation"),
    ("Sizing a router", "# Sizing a router\n\nCount the sites, the uplinks and the expected traffic, then pick "
     "the ER-1000 for small sites and the ER-5000 for aggregation.\n\n[Datasheets](/resources/)"),
]
QUESTIONS = [
    ("Which router suits a small site?", False, [("ER-1000", True), ("ER-5000", False), ("Any laptop", False)]),
    ("What do industrial sites need?", True, [("Rugged hardware", True), ("24/7 operation", True),
                                             ("Office décor", False)]),
    ("What do you count first when sizing?", False, [("Sites and uplinks", True), ("Colours", False)]),
]
CERTIFICATION = "Certified Industrial Networking Associate"
RESOURCES = [  # (title, category, audience types, url)
    ("ER-1000 datasheet", "datasheet", "", "https://example.com/er-1000.pdf"),
    ("Factory case study: 40 sites in 3 weeks", "case_study", "", "https://example.com/case-factory"),
    ("Campaign kit: spring 2027", "marketing", "", "https://example.com/spring-kit"),
    ("Distributor price list 2027", "price_list", ",distributor,", "https://example.com/prices-2027"),
    ("Sizing calculator", "sales_tool", "", "https://example.com/sizing"),
]
# holder → days since the certificate was issued (12 months' validity)
HOLDERS = {"anna@northwind.demo.test": 30, "ben@northwind.demo.test": 350, "chen@eastwind.demo.test": 60}


def seed(scale: str = "small") -> str:
    """The small demo once; at the large scale also the bulk part, with its own check (an instance seeded at
    large scale before the bulk part existed gets it on the next run)."""
    if db.session.scalar(select(Course.id).where(Course.title == COURSE)) is None:
        _small()
    return demo_large.seed() if scale == "large" else ""


def _small() -> None:
    now = utcnow()
    trainer = db.session.scalar(select(User).where(User.email == "trainer@demo.test"))
    course = Course(title=COURSE, summary="Find, size and sell industrial routers.", level="beginner",
                    status="published", pass_mark=67, max_attempts=3, created_by=trainer.id if trainer else None,
                    published_at=now - timedelta(days=400), created_at=now - timedelta(days=401))
    draft = Course(title="Advanced 5G campus networks", summary="Coming soon.", level="advanced", status="draft")
    db.session.add_all([course, draft])
    db.session.flush()
    lessons = [Lesson(course_id=course.id, position=n, title=t, content=c) for n, (t, c) in enumerate(LESSONS, 1)]
    db.session.add_all(lessons)
    for n, (text, multiple, options) in enumerate(QUESTIONS, 1):
        question = Question(course_id=course.id, position=n, text=text, multiple=multiple)
        db.session.add(question)
        db.session.flush()
        db.session.add_all(Option(question_id=question.id, position=m, text=t, correct=ok)
                           for m, (t, ok) in enumerate(options, 1))
    certification = Certification(name=CERTIFICATION, validity_months=12, status="active",
                                  description="Passing the quiz of Selling industrial networks.")
    db.session.add(certification)
    db.session.flush()
    db.session.add(CertificationCourse(certification_id=certification.id, course_id=course.id))
    db.session.flush()
    people = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(HOLDERS)))}
    for email, days in HOLDERS.items():
        person = people.get(email)
        if person is None:
            continue
        issued = now - timedelta(days=days)
        db.session.add(Enrolment(course_id=course.id, user_id=person.id, partner_id=person.partner_id,
                                 enrolled_at=issued - timedelta(days=2), completed_at=issued - timedelta(days=1)))
        db.session.add_all(LessonCompletion(lesson_id=lesson.id, user_id=person.id, completed_at=issued)
                           for lesson in lessons)
        db.session.add(Attempt(course_id=course.id, user_id=person.id, partner_id=person.partner_id, order=[],
                               answers={}, started_at=issued, submitted_at=issued, score=100, passed=True))
        db.session.add(Certificate(number=new_number(), certification_id=certification.id, user_id=person.id,
                                   partner_id=person.partner_id, holder_name=person.name, issued_at=issued,
                                   expires_at=add_months(issued, 12), status="valid"))
    for title, category, types, url in RESOURCES:
        resource = Resource(title=title, category=category, audience_types=types, url=url, version=1,
                            description=f"{title}.", created_at=now - timedelta(days=30), updated_at=now)
        db.session.add(resource)
        db.session.flush()
        db.session.add(ResourceVersion(resource_id=resource.id, version=1, url=url, note="First version"))
    db.session.add(Announcement(title="Spring campaign kit is out", pinned=True,
                                posted_by=trainer.id if trainer else None,
                                body="The **spring 2027** campaign kit is in the resource library. "
                                     "Certified people count toward your tier: take the course!"))
    db.session.flush()
