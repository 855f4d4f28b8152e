"""The first screen's enablement panel: a trainer sees the courses with enrolments and pass rates and the
certifications expiring soon; a partner person sees their courses in progress and their certifications
with expiry."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.training import reports, service
from portal.training.models import Course, Enrolment, Lesson, LessonCompletion

PANEL_ROWS = 5
SOON_DAYS = 30


@dataclass
class Panel:
    kind: str  # "trainer" | "learner"
    courses: list = field(default_factory=list)
    expiring: list = field(default_factory=list)
    in_progress: list = field(default_factory=list)
    held: list = field(default_factory=list)


def in_progress(actor) -> list[tuple[int, str, int, int]]:
    """(course id, title, lessons done, lessons) of the actor's enrolments not yet complete, in one query."""
    lessons = (select(func.count(Lesson.id)).where(Lesson.course_id == Course.id).correlate(Course)
               .scalar_subquery())
    done = (select(func.count(LessonCompletion.id)).join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .where(Lesson.course_id == Course.id, LessonCompletion.user_id == actor.id).correlate(Course)
            .scalar_subquery())
    rows = db.session.execute(
        select(Course.id, Course.title, done, lessons).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == actor.id, Enrolment.completed_at.is_(None), Course.status == "published")
        .order_by(Enrolment.enrolled_at.desc()).limit(PANEL_ROWS))
    return [tuple(r) for r in rows]


def dashboard_panel(actor) -> Panel | None:
    if actor.can(Permission.VIEW_TRAINING_REPORTS) and actor.can(Permission.MANAGE_COURSES):
        return Panel("trainer", courses=reports.course_stats(actor, limit=PANEL_ROWS, busiest=True),
                     expiring=service.expiring(actor, SOON_DAYS, limit=PANEL_ROWS))
    if actor.can(Permission.TAKE_COURSES):
        held = [h for h in service.my_certificates(actor, utcnow())][:PANEL_ROWS]
        return Panel("learner", in_progress=in_progress(actor), held=held)
    return None
