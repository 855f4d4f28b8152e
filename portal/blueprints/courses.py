"""Learning: the course catalogue of my audience, a course with its lessons and my progress, the quiz,
my certificates (and my company's, for a partner admin), and the public certificate verification."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Invalid
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.permissions import Permission, public, require
from portal.core.time import utcnow
from portal.extensions import db
from portal.pages import conditional
from portal.partners.models import Partner
from portal.training import attachments, courses, feedback, quiz, service
from portal.training.forms import ActionForm, FeedbackForm
from portal.training.markdown import render as markdown
from portal.training.models import Course, Enrolment, Lesson, LessonCompletion

bp = Blueprint("courses", __name__)


@bp.app_template_filter("markdown")
def _markdown(text: str):
    return markdown(text)


@bp.app_template_filter("course_level")
def _level(level: str) -> str:
    return str(courses.LEVELS.get(level, level))


@bp.app_template_filter("course_status")
def _course_status(status: str) -> str:
    return str(courses.STATUSES.get(status, status))


@bp.app_template_filter("certificate_status")
def _certificate_status(status: str) -> str:
    return str(service.STATUS_LABELS.get(status, status))


def _learning() -> bool:
    return current_user.can(Permission.TAKE_COURSES)


@bp.get("/courses/")
@require()
@conditional(Course, Lesson, Enrolment, LessonCompletion, Partner)  # Partner: the audience (type, tier)
def index():
    if not (_learning() or current_user.can(Permission.MANAGE_COURSES)):
        abort(404)
    args = {k: request.args.get(k, "").strip()[:100] for k in ("q", "level")}
    rows = courses.catalogue(current_user, args["q"], args["level"])
    return render("training/courses.html", "results", rows=rows, filters=args, levels=courses.LEVELS)


@bp.get("/courses/<id:course_id>")
@require()
def show(course_id: int):
    course = courses.get_course(current_user, course_id)
    lessons = courses.lessons_of(course)
    enrolment = courses.enrolment_of(current_user, course.id) if _learning() else None
    done = courses.completed_lessons(current_user, course) if enrolment else set()
    attempts = quiz.attempts_of(current_user, course.id) if enrolment else []
    return render("training/course.html", course=course, lessons=lessons, enrolment=enrolment, done=done,
                  attempts=attempts, attempts_left=quiz.attempts_left(current_user, course) if enrolment else None,
                  mine=feedback.mine(current_user, course.id) if enrolment else None,
                  feedback_form=FeedbackForm(), form=ActionForm(), learning=_learning())


@bp.post("/courses/<id:course_id>/enrol")
@require(Permission.TAKE_COURSES)
def enrol(course_id: int):
    if submit(ActionForm(), lambda: courses.enrol(current_user, course_id)) is not None:
        flash(_("You are enrolled."), "success")
    return redirect_to(url_for("courses.show", course_id=course_id))


@bp.get("/lessons/<id:lesson_id>")
@require()
def lesson(lesson_id: int):
    item = courses.get_lesson(current_user, lesson_id)
    course = db.session.get(Course, item.course_id)
    siblings = courses.lessons_of(course)
    index = siblings.index(item)
    done = courses.completed_lessons(current_user, course) if _learning() else set()
    return render("training/lesson.html", course=course, lesson=item, done=done, form=ActionForm(),
                  previous=siblings[index - 1] if index else None,
                  next=siblings[index + 1] if index + 1 < len(siblings) else None,
                  enrolled=_learning() and courses.enrolment_of(current_user, course.id) is not None)


@bp.post("/lessons/<id:lesson_id>/complete")
@require(Permission.TAKE_COURSES)
def complete(lesson_id: int):
    item = courses.get_lesson(current_user, lesson_id)
    if submit(ActionForm(), lambda: courses.complete_lesson(current_user, lesson_id)) is not None:
        flash(_("Lesson marked complete."), "success")
    return redirect_to(url_for("courses.lesson", lesson_id=item.id))


@bp.get("/lessons/<id:lesson_id>/attachment")
@require()
def attachment(lesson_id: int):
    item = courses.get_lesson(current_user, lesson_id)  # audience: another audience's lesson → 404
    return attachments.serve(item.attachment_key, item.attachment_type, item.attachment_name)


@bp.post("/courses/<id:course_id>/quiz")
@require(Permission.TAKE_COURSES)
def start_quiz(course_id: int):
    attempt = submit(ActionForm(), lambda: quiz.start(current_user, course_id))
    if attempt is None:
        return redirect_to(url_for("courses.show", course_id=course_id))
    return redirect_to(url_for("courses.attempt", attempt_id=attempt.id))


@bp.get("/attempts/<id:attempt_id>")
@require(Permission.TAKE_COURSES)
def attempt(attempt_id: int):
    item = quiz.get_attempt(current_user, attempt_id)
    course = courses.get_course(current_user, item.course_id)
    if item.submitted_at is None:
        return render("training/quiz.html", course=course, attempt=item, questions=quiz.shown(item),
                      form=ActionForm())
    return render("training/result.html", course=course, attempt=item, marked=quiz.result(item),
                  attempts_left=quiz.attempts_left(current_user, course), form=ActionForm())


@bp.post("/attempts/<id:attempt_id>")
@require(Permission.TAKE_COURSES)
def answer(attempt_id: int):
    answers: dict[int, set[int]] = {}
    for key in request.form:
        if key.startswith("q-") and key[2:].isdigit():
            answers[int(key[2:])] = {int(v) for v in request.form.getlist(key) if v.isdigit() and len(v) < 19}
    form = ActionForm()
    if not form.validate():
        raise Invalid(form.errors)
    _attempt, awarded = quiz.submit(current_user, attempt_id, answers)
    db.session.commit()
    for certificate in awarded:
        flash(_("Congratulations: certificate %(number)s is yours.", number=certificate.number), "success")
    return redirect_to(url_for("courses.attempt", attempt_id=attempt_id))


@bp.post("/courses/<id:course_id>/feedback")
@require(Permission.TAKE_COURSES)
def give_feedback(course_id: int):
    form = FeedbackForm()
    if submit(form, lambda: feedback.give(current_user, course_id, form.data)) is not None:
        flash(_("Thank you for your feedback."), "success")
        return redirect_to(url_for("courses.show", course_id=course_id))
    course = courses.get_course(current_user, course_id)
    return render("training/feedback.html", status=422, course=course, feedback_form=form)


# --- certificates ---------------------------------------------------------------------------------------

@bp.get("/certificates/")
@require(Permission.TAKE_COURSES)
def certificates():
    people = (service.company_people(current_user) if current_user.can(Permission.VIEW_COMPANY_CERTIFICATIONS)
              else None)
    return render("training/certificates.html", held=service.my_certificates(current_user), people=people)


@bp.get("/certificates/<id:certificate_id>")
@require()
def certificate(certificate_id: int):
    return render("training/certificate.html", held=service.get_certificate(current_user, certificate_id))


@bp.get("/verify/")
@public
def verify_form():
    number = request.args.get("number", "").strip()[:40]
    if number:
        return redirect_to(url_for("courses.verify", number=number.upper()))
    return render("training/verify.html", held=None, number="")


@bp.get("/verify/<string(maxlength=40):number>")
@public
def verify(number: str):
    """Public: holder name, certification, status and dates of a certificate number — nothing else."""
    held = service.verify(number, utcnow())
    return render("training/verify.html", held=held, number=number)
