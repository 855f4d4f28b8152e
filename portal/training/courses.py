"""Courses: trainers author them (details, audience, ordered lessons, status); partner people find the
published courses of their audience, enrol, and mark lessons complete.

Audience and tenancy: a course, its lessons and its lesson attachments are found only through
``visible_courses`` — vendor staff who author courses see every one; a partner person sees published
courses whose audience includes their company (anything else is NotFound, as if it did not exist).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from portal.catalogue.models import Tier
from portal.core import audit
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import PartnerType
from portal.partners.service import require_trading, take_text
from portal.training import audience
from portal.training.models import Course, Enrolment, Lesson, LessonCompletion, Option, Question

LEVELS = {"beginner": _l("Beginner"), "intermediate": _l("Intermediate"), "advanced": _l("Advanced")}
STATUSES = {"draft": _l("Draft"), "published": _l("Published"), "archived": _l("Archived")}
TRANSITIONS = {"draft": {"published"}, "published": {"archived"}, "archived": {"published"}}
MAX_ATTEMPTS = 20


def _author(actor) -> None:
    if not actor.can(Permission.MANAGE_COURSES):
        raise Forbidden(_("You do not have permission to do that."))


def _learner(actor) -> None:
    if not (actor.can(Permission.TAKE_COURSES) or actor.can(Permission.MANAGE_COURSES)):
        raise Forbidden(_("You do not have permission to do that."))


def visible_courses(actor):
    """The courses ``actor`` may open: all for authors; published ones of their audience for learners."""
    _learner(actor)
    if actor.can(Permission.MANAGE_COURSES):
        return select(Course)
    return select(Course).where(Course.status == "published",
                                audience.includes(actor, Course.audience_types, Course.audience_tiers))


def get_course(actor, course_id: int) -> Course:
    course = db.session.scalar(visible_courses(actor).where(Course.id == course_id))
    if course is None:
        raise NotFound(_("Course not found."))
    return course


def get_lesson(actor, lesson_id: int) -> Lesson:
    """A lesson of a course ``actor`` may open (else NotFound)."""
    found = db.session.execute(visible_courses(actor).add_columns(Lesson)
                               .join(Lesson, Lesson.course_id == Course.id).where(Lesson.id == lesson_id)).first()
    if found is None:
        raise NotFound(_("Lesson not found."))
    return found[1]


# --- the catalogue and a learner's progress -------------------------------------------------------------

@dataclass(frozen=True)
class CatalogueRow:
    course: Course
    lessons: int
    done: int
    enrolled: bool


def catalogue(actor, q: str = "", level: str = "") -> list[CatalogueRow]:
    """The courses ``actor`` may take (authors: every course), with their lesson count and the actor's
    progress, in one query."""
    lessons = (select(func.count(Lesson.id)).where(Lesson.course_id == Course.id)
               .correlate(Course).scalar_subquery())
    done = (select(func.count(LessonCompletion.id)).join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .where(Lesson.course_id == Course.id, LessonCompletion.user_id == actor.id)
            .correlate(Course).scalar_subquery())
    stmt = (visible_courses(actor).add_columns(lessons, done, Enrolment.id)
            .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == actor.id)))
    if q:
        stmt = stmt.where(Course.title.icontains(q, autoescape=True))
    if level in LEVELS:
        stmt = stmt.where(Course.level == level)
    rows = db.session.execute(stmt.order_by(Course.title, Course.id).limit(200)).all()
    return [CatalogueRow(course, n or 0, d or 0, enrolment is not None) for course, n, d, enrolment in rows]


def lessons_of(course: Course) -> list[Lesson]:
    return list(db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                                   .order_by(Lesson.position, Lesson.id)))


def enrolment_of(actor, course_id: int) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(Enrolment.course_id == course_id,
                                                     Enrolment.user_id == actor.id))


def completed_lessons(actor, course: Course) -> set[int]:
    return set(db.session.scalars(select(LessonCompletion.lesson_id)
                                  .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
                                  .where(Lesson.course_id == course.id, LessonCompletion.user_id == actor.id)))


def enrol(actor, course_id: int) -> Enrolment:
    """Enrol ``actor`` (a partner person) in a course of their audience; enrolling twice is one enrolment."""
    if not actor.can(Permission.TAKE_COURSES):
        raise Forbidden(_("You do not have permission to do that."))
    course = get_course(actor, course_id)
    require_trading(actor)
    found = enrolment_of(actor, course.id)
    if found is not None:
        return found
    enrolment = Enrolment(course_id=course.id, user_id=actor.id, partner_id=actor.partner_id)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def complete_lesson(actor, lesson_id: int) -> Enrolment:
    """Mark a lesson complete for an enrolled learner (twice is once); the enrolment is complete when every
    lesson of the course is."""
    if not actor.can(Permission.TAKE_COURSES):
        raise Forbidden(_("You do not have permission to do that."))
    lesson = get_lesson(actor, lesson_id)
    require_trading(actor)
    enrolment = enrolment_of(actor, lesson.course_id)
    if enrolment is None:
        raise Conflict(_("Enrol in the course first."))
    exists = db.session.scalar(select(LessonCompletion.id).where(LessonCompletion.lesson_id == lesson.id,
                                                                 LessonCompletion.user_id == actor.id))
    if exists is None:
        db.session.add(LessonCompletion(lesson_id=lesson.id, user_id=actor.id))
        db.session.flush()
    total = db.session.scalar(select(func.count(Lesson.id)).where(Lesson.course_id == lesson.course_id))
    done = db.session.scalar(select(func.count(LessonCompletion.id))
                             .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
                             .where(Lesson.course_id == lesson.course_id, LessonCompletion.user_id == actor.id))
    if done >= total and enrolment.completed_at is None:
        enrolment.completed_at = utcnow()
        db.session.flush()
    return enrolment


# --- authoring -------------------------------------------------------------------------------------------

def _int_in(data: dict, name: str, low: int, high: int, errors: dict, message: str) -> int:
    try:
        value = int(str(data.get(name, "")).strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors[name] = [message]
        return low
    return value


def _audience(data: dict, errors: dict) -> tuple[str, str]:
    types = [t for t in data.get("audience_types", []) if t]
    if any(t not in set(PartnerType) for t in types):
        errors["audience_types"] = [_("Choose partner types from the list.")]
    tiers = [t for t in data.get("audience_tiers", []) if t]
    known = {str(i) for i in db.session.scalars(select(Tier.id))}
    if any(str(t) not in known for t in tiers):
        errors["audience_tiers"] = [_("Choose tiers from the list.")]
    return audience.pack(types), audience.pack(tiers)


def save_course(actor, data: dict, course_id: int | None = None) -> Course:
    """Create or edit a course's details: title (required), summary, level, audience (partner types and
    tiers; none chosen = every partner), pass mark 0–100 % and attempts limit 0–20 (0: no limit)."""
    _author(actor)
    course = get_course(actor, course_id) if course_id else None
    errors: dict[str, list[str]] = {}
    title = take_text(data, "title", 160, errors, missing=_("Enter the course title."))
    summary = take_text(data, "summary", 2000, errors, multiline=True)
    level = data.get("level") or "beginner"
    if level not in LEVELS:
        errors["level"] = [_("Choose a level.")]
    types, tiers = _audience(data, errors)
    pass_mark = _int_in(data, "pass_mark", 0, 100, errors, _("Enter a pass mark from 0 to 100 %."))
    attempts = _int_in(data, "max_attempts", 0, MAX_ATTEMPTS, errors,
                       _("Enter an attempts limit from 0 (no limit) to %(n)s.", n=MAX_ATTEMPTS))
    if errors:
        raise Invalid(errors)
    if course is None:
        course = Course(created_by=actor.id, status="draft")
        db.session.add(course)
    course.title, course.summary, course.level = title, summary, level
    course.audience_types, course.audience_tiers = types, tiers
    course.pass_mark, course.max_attempts = pass_mark, attempts
    db.session.flush()
    audit.record(actor, "course.saved", course, summary=course.title)
    return course


def set_status(actor, course_id: int, status: str) -> Course:
    """draft → published → archived (an archived course may be published again). Publishing needs at least
    one lesson and a quiz whose every question has a correct answer."""
    _author(actor)
    course = get_course(actor, course_id)
    if status not in TRANSITIONS.get(course.status, set()):
        raise Conflict(_("A %(status)s course cannot become %(to)s.", status=STATUSES[course.status],
                         to=STATUSES.get(status, status)))
    if status == "published":
        problems = publish_problems(course)
        if problems:
            raise Conflict(" ".join(problems))
        course.published_at = course.published_at or utcnow()
    before = course.status
    course.status = status
    db.session.flush()
    audit.record(actor, f"course.{status}", course, before={"status": before}, after={"status": status},
                 summary=course.title)
    return course


def publish_problems(course: Course) -> list[str]:
    problems = []
    if not db.session.scalar(select(func.count(Lesson.id)).where(Lesson.course_id == course.id)):
        problems.append(_("Add at least one lesson."))
    questions = db.session.execute(
        select(Question.id, func.count(Option.id).filter(Option.correct))
        .outerjoin(Option, Option.question_id == Question.id).where(Question.course_id == course.id)
        .group_by(Question.id)).all()
    if not questions:
        problems.append(_("Add at least one quiz question."))
    elif any(not n for _id, n in questions):
        problems.append(_("Every question needs a correct answer."))
    return problems


def save_lesson(actor, course_id: int, data: dict, lesson_id: int | None = None) -> Lesson:
    """Add or edit a lesson: title (required), Markdown content, video and external links (http/https)."""
    from portal.training.links import clean_url

    _author(actor)
    course = get_course(actor, course_id)
    lesson = None
    if lesson_id:
        lesson = get_lesson(actor, lesson_id)
        if lesson.course_id != course.id:
            raise NotFound(_("Lesson not found."))
    errors: dict[str, list[str]] = {}
    title = take_text(data, "title", 160, errors, missing=_("Enter the lesson title."))
    content = take_text(data, "content", 50_000, errors, multiline=True)
    video = clean_url(data, "video_url", errors)
    external = clean_url(data, "external_url", errors)
    if errors:
        raise Invalid(errors)
    if lesson is None:
        last = db.session.scalar(select(func.max(Lesson.position)).where(Lesson.course_id == course.id))
        lesson = Lesson(course_id=course.id, position=(last or 0) + 1)
        db.session.add(lesson)
    lesson.title, lesson.content, lesson.video_url, lesson.external_url = title, content, video, external
    db.session.flush()
    return lesson


def move_lesson(actor, lesson_id: int, direction: str) -> Lesson:
    """Swap a lesson with its neighbour above (``up``) or below (``down``); at either end nothing moves."""
    _author(actor)
    lesson = get_lesson(actor, lesson_id)
    siblings = lessons_of(db.session.get(Course, lesson.course_id))
    for n, item in enumerate(siblings, 1):  # positions 1..n, whatever they were
        item.position = n
    index = siblings.index(lesson)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index].position, siblings[other].position = siblings[other].position, siblings[index].position
    db.session.flush()
    return lesson


def delete_lesson(actor, lesson_id: int) -> str | None:
    """Remove a lesson; returns its attachment's key for the caller to discard after the commit."""
    _author(actor)
    lesson = get_lesson(actor, lesson_id)
    key = lesson.attachment_key
    db.session.delete(lesson)
    db.session.flush()
    return key


# --- the quiz's questions ----------------------------------------------------------------------------------

MAX_OPTIONS = 6


def questions_of(course: Course) -> list[tuple[Question, list[Option]]]:
    questions = list(db.session.scalars(select(Question).where(Question.course_id == course.id)
                                        .order_by(Question.position, Question.id)))
    options: dict[int, list[Option]] = {q.id: [] for q in questions}
    if questions:
        for option in db.session.scalars(select(Option).where(Option.question_id.in_(options))
                                         .order_by(Option.position, Option.id)):
            options[option.question_id].append(option)
    return [(q, options[q.id]) for q in questions]


def add_question(actor, course_id: int, data: dict) -> Question:
    """A question with 2–6 options (``option-1`` … ``option-6``; ``correct`` lists the correct ones' numbers).
    Single choice: exactly one correct option; multiple choice: at least one."""
    _author(actor)
    course = get_course(actor, course_id)
    errors: dict[str, list[str]] = {}
    text = take_text(data, "text", 500, errors, missing=_("Enter the question."))
    multiple = data.get("kind") == "multiple"
    correct = {str(c) for c in data.get("correct", [])}
    options = []
    for n in range(1, MAX_OPTIONS + 1):
        option = take_text(data, f"option-{n}", 300, errors)
        if option:
            options.append((option, str(n) in correct))
    if len(options) < 2:
        errors.setdefault("options", []).append(_("Enter at least two answers."))
    right = sum(1 for _t, ok in options if ok)
    if multiple and right < 1:
        errors.setdefault("options", []).append(_("Mark at least one answer as correct."))
    if not multiple and right != 1:
        errors.setdefault("options", []).append(_("Mark exactly one answer as correct."))
    if errors:
        raise Invalid(errors)
    last = db.session.scalar(select(func.max(Question.position)).where(Question.course_id == course.id))
    question = Question(course_id=course.id, position=(last or 0) + 1, text=text, multiple=multiple)
    db.session.add(question)
    db.session.flush()
    db.session.add_all(Option(question_id=question.id, position=n, text=t, correct=ok)
                       for n, (t, ok) in enumerate(options, 1))
    db.session.flush()
    return question


def delete_question(actor, question_id: int) -> None:
    _author(actor)
    found = db.session.execute(visible_courses(actor).add_columns(Question)
                               .join(Question, Question.course_id == Course.id)
                               .where(Question.id == question_id)).first()
    if found is None:
        raise NotFound(_("Question not found."))
    db.session.delete(found[1])
    db.session.flush()


def attach(actor, lesson_id: int, data: bytes, filename: str | None) -> str | None:
    """Store an upload as the lesson's attachment (replacing any); returns the replaced key for the caller
    to discard after the commit. Refused → Invalid next to ``attachment``, nothing written."""
    from portal.training import attachments

    _author(actor)
    lesson = get_lesson(actor, lesson_id)
    upload = attachments.store("attachment", data, filename)
    old = lesson.attachment_key
    lesson.attachment_key, lesson.attachment_name, lesson.attachment_type = upload.key, upload.name, \
        upload.content_type
    db.session.flush()
    return old
