"""Course feedback: an enrolled learner rates a course 1–5 with an optional comment (once; again replaces)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.errors import Conflict, Invalid
from portal.extensions import db
from portal.partners.service import require_trading, take_text
from portal.training import courses
from portal.training.models import Feedback


def mine(actor, course_id: int) -> Feedback | None:
    return db.session.scalar(select(Feedback).where(Feedback.course_id == course_id, Feedback.user_id == actor.id))


def give(actor, course_id: int, data: dict) -> Feedback:
    course = courses.get_course(actor, course_id)
    require_trading(actor)
    if courses.enrolment_of(actor, course.id) is None:
        raise Conflict(_("Enrol in the course first."))
    errors: dict[str, list[str]] = {}
    rating = str(data.get("rating") or "")
    if rating not in {"1", "2", "3", "4", "5"}:
        errors["rating"] = [_("Choose a rating from 1 to 5.")]
    comment = take_text(data, "comment", 2000, errors, multiline=True)
    if errors:
        raise Invalid(errors)
    found = mine(actor, course.id) or Feedback(course_id=course.id, user_id=actor.id)
    found.rating, found.comment = int(rating), comment
    db.session.add(found)
    db.session.flush()
    return found
