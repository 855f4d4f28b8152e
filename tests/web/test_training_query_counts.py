"""SQL statements of the enablement list pages: the same small number for 3 or 30 rows (no N+1)."""

from __future__ import annotations

from datetime import timedelta

from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.resources.models import Resource
from portal.training.models import Enrolment
from tests import factories
from tests.web.test_query_counts import fresh_request_globals, statements  # noqa: F401 - fixtures

# signed-in user + header badges + data versions (the ETag) + the page's own query
COURSES = 4  # one query: courses with lesson counts, my progress and my enrolment
RESOURCES = 4  # one page of the library
TRACKING = 4  # signed-in user + badges + versions + the tab's table (courses, partners, expiring or feedback)


def test_the_course_catalogue_runs_the_same_queries_for_3_or_30_courses(db, login, statements):  # noqa: F811
    user = factories.partner_user()
    login(user)
    counts = []
    for n in (3, 27):
        for _ in range(n):
            course = factories.course(title=f"Course {_:02d}")
            db.session.add(Enrolment(course_id=course.id, user_id=user.id, partner_id=user.partner_id))
        count, text = statements("/courses/")
        counts.append(count)
    assert counts == [COURSES, COURSES] and "Course 26" in text


def test_the_library_runs_the_same_queries_for_3_or_30_resources(db, login, statements):  # noqa: F811
    login(factories.partner_user())
    counts = []
    for n in (3, 27):
        db.session.add_all(Resource(title=f"Deck {i}", category="marketing", url="https://e.com/x") for i in range(n))
        count, _text = statements("/resources/")
        counts.append(count)
    assert counts == [RESOURCES, RESOURCES]


def test_tracking_runs_the_same_queries_for_few_or_many_certificates(db, login, statements):  # noqa: F811
    login(factories.vendor(Role.TRAINER))
    cert = factories.certification([factories.course()])
    counts = []
    for n in (3, 27):
        for _ in range(n):
            factories.certificate(factories.partner_user(), cert, issued_at=utcnow() - timedelta(days=350))
        counts.append([statements(f"/training/reports?table={table}")[0]
                       for table in ("courses", "partners", "expiring", "feedback")])
    assert counts == [[TRACKING] * 4, [TRACKING] * 4]
