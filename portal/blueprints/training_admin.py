"""Trainer side: courses (details, audience, ordered lessons with attachments, the quiz, status),
certifications, and the tracking pages with their CSV exports."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import User
from portal.catalogue.models import Tier
from portal.core import csv as csv_file
from portal.core.forms import status, submit
from portal.core.htmx import redirect_to, render
from portal.core.pagination import Page, page_number
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.extensions import db
from portal.pages import conditional
from portal.partners.models import Partner
from portal.training import attachments, courses, reports, service
from portal.training.audience import unpack
from portal.training.forms import ActionForm, CertificationForm, CourseForm, LessonForm, QuestionForm, choices
from portal.training.models import (
    Attempt,
    Certificate,
    Certification,
    CertificationCourse,
    Course,
    Enrolment,
    Feedback,
    Lesson,
    LessonCompletion,
)

bp = Blueprint("training_admin", __name__, url_prefix="/training")


def _tier_choices():
    return choices(db.session.execute(select(Tier.id, Tier.name).order_by(Tier.rank)))


def _course_form(course: Course | None = None) -> CourseForm:
    if course is not None and request.method == "GET":
        form = CourseForm(obj=course)
        form.audience_types.data = unpack(course.audience_types)
        form.audience_tiers.data = unpack(course.audience_tiers)
        form.pass_mark.data, form.max_attempts.data = str(course.pass_mark), str(course.max_attempts)
    else:
        form = CourseForm()
    form.audience_tiers.choices = _tier_choices()
    return form


SHOWN = 50  # rows of a page of courses or of a tracking table


@bp.get("/")
@require(Permission.MANAGE_COURSES)
@conditional(Course, Lesson, Enrolment, Attempt, Feedback)
def index():
    number = page_number()
    rows = reports.course_stats(current_user, limit=SHOWN + 1, offset=(number - 1) * SHOWN)
    statuses = {key: str(label) for key, label in courses.STATUSES.items()}  # translated once, not once a row
    return render("training_admin/index.html", page=Page.of(rows, number, SHOWN), statuses=statuses)


@bp.route("/courses/new", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def new_course():
    form = _course_form()
    course = submit(form, lambda: courses.save_course(current_user, form.data))
    if course is not None:
        flash(_("Course %(title)s is saved as a draft.", title=course.title), "success")
        return redirect_to(url_for("training_admin.course", course_id=course.id))
    return render("training_admin/course_form.html", status=status(form), form=form, course=None)


def _course_page(course: Course, form: CourseForm | None = None, question_form: QuestionForm | None = None,
                 code: int = 200):
    return render("training_admin/course.html", status=code, course=course, form=form or _course_form(course),
                  lessons=courses.lessons_of(course), questions=courses.questions_of(course),
                  question_form=question_form or QuestionForm(), action=ActionForm(),
                  problems=courses.publish_problems(course) if course.status != "published" else [])


@bp.route("/courses/<id:course_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def course(course_id: int):
    item = courses.get_course(current_user, course_id)
    form = _course_form(item)
    if submit(form, lambda: courses.save_course(current_user, form.data, item.id)) is not None:
        flash(_("Course %(title)s is saved.", title=item.title), "success")
        return redirect_to(url_for("training_admin.course", course_id=item.id))
    return _course_page(item, form, code=status(form))


@bp.post("/courses/<id:course_id>/status")
@require(Permission.MANAGE_COURSES)
def set_status(course_id: int):
    wanted = request.form.get("status", "")[:20]
    item = submit(ActionForm(), lambda: courses.set_status(current_user, course_id, wanted))
    if item is not None:
        flash(_("%(title)s is now %(status)s.", title=item.title, status=courses.STATUSES[item.status]), "success")
    return redirect_to(url_for("training_admin.course", course_id=course_id))


@bp.post("/courses/<id:course_id>/questions")
@require(Permission.MANAGE_COURSES)
def add_question(course_id: int):
    item = courses.get_course(current_user, course_id)
    form = QuestionForm()
    data = {**form.data, "correct": form.correct.data or []}
    if submit(form, lambda: courses.add_question(current_user, item.id, data)) is not None:
        flash(_("The question is added."), "success")
        return redirect_to(url_for("training_admin.course", course_id=item.id) + "#quiz")
    return _course_page(item, question_form=form, code=422)


@bp.post("/questions/<id:question_id>/delete")
@require(Permission.MANAGE_COURSES)
def delete_question(question_id: int):
    from portal.training.models import Question

    question = db.session.get(Question, question_id)
    course_id = question.course_id if question else None
    submit(ActionForm(), lambda: courses.delete_question(current_user, question_id))
    return redirect_to(url_for("training_admin.course", course_id=course_id) + "#quiz" if course_id
                       else url_for("training_admin.index"))


def _lesson_form(lesson=None) -> LessonForm:
    return LessonForm(obj=lesson) if lesson is not None and request.method == "GET" else LessonForm()


def _save_lesson(course_id: int, lesson_id: int | None, form: LessonForm):
    """Save the lesson's fields and its upload (if any) as one transaction; the replaced file goes after."""
    upload = request.files.get("attachment")
    data = upload.read(attachments.MAX_BYTES + 1) if upload and upload.filename else None
    replaced: list[str | None] = []

    def action():
        if data is not None:
            attachments.check("attachment", data)  # refused before anything is written
        saved = courses.save_lesson(current_user, course_id, form.data, lesson_id)
        if data is not None:
            replaced.append(courses.attach(current_user, saved.id, data, upload.filename))
        return saved

    lesson = submit(form, action)
    if lesson is not None:
        for key in replaced:
            attachments.discard(key)
    return lesson


@bp.route("/courses/<id:course_id>/lessons/new", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def new_lesson(course_id: int):
    item = courses.get_course(current_user, course_id)
    form = _lesson_form()
    if (lesson := _save_lesson(item.id, None, form)) is not None:
        flash(_("Lesson %(title)s is saved.", title=lesson.title), "success")
        return redirect_to(url_for("training_admin.course", course_id=item.id) + "#lessons")
    return render("training_admin/lesson_form.html", status=status(form), form=form, course=item, lesson=None)


@bp.route("/lessons/<id:lesson_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def lesson(lesson_id: int):
    item = courses.get_lesson(current_user, lesson_id)
    parent = db.session.get(Course, item.course_id)
    form = _lesson_form(item)
    if _save_lesson(parent.id, item.id, form) is not None:
        flash(_("Lesson %(title)s is saved.", title=item.title), "success")
        return redirect_to(url_for("training_admin.course", course_id=parent.id) + "#lessons")
    return render("training_admin/lesson_form.html", status=status(form), form=form, course=parent, lesson=item)


@bp.post("/lessons/<id:lesson_id>/move")
@require(Permission.MANAGE_COURSES)
def move_lesson(lesson_id: int):
    direction = "up" if request.form.get("direction") == "up" else "down"
    item = submit(ActionForm(), lambda: courses.move_lesson(current_user, lesson_id, direction))
    if item is None:
        item = courses.get_lesson(current_user, lesson_id)
    parent = db.session.get(Course, item.course_id)
    return render("training_admin/course.html", "lessons", course=parent, lessons=courses.lessons_of(parent),
                  action=ActionForm())


@bp.post("/lessons/<id:lesson_id>/delete")
@require(Permission.MANAGE_COURSES)
def delete_lesson(lesson_id: int):
    item = courses.get_lesson(current_user, lesson_id)
    course_id = item.course_id
    key = submit(ActionForm(), lambda: courses.delete_lesson(current_user, lesson_id) or "")
    if key:
        attachments.discard(key)
    return redirect_to(url_for("training_admin.course", course_id=course_id) + "#lessons")


# --- certifications ---------------------------------------------------------------------------------------

def _certification_form(certification=None, required=()) -> CertificationForm:
    if certification is not None and request.method == "GET":
        form = CertificationForm(obj=certification)
        form.validity_months.data = str(certification.validity_months)
        form.course_ids.data = [str(c) for c in required]
    else:
        form = CertificationForm()
    form.course_ids.choices = choices(db.session.execute(select(Course.id, Course.title).order_by(Course.title)))
    return form


@bp.get("/certifications/")
@require(Permission.MANAGE_COURSES)
@conditional(Certification, CertificationCourse, Course)
def certifications():
    titles = dict(db.session.execute(select(Course.id, Course.title)).all())
    return render("training_admin/certifications.html", items=service.certifications(), titles=titles)


@bp.route("/certifications/new", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def new_certification():
    form = _certification_form()
    if submit(form, lambda: service.save_certification(current_user, form.data)) is not None:
        flash(_("The certification is saved."), "success")
        return redirect_to(url_for("training_admin.certifications"))
    return render("training_admin/certification_form.html", status=status(form), form=form, certification=None)


@bp.route("/certifications/<id:certification_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def certification(certification_id: int):
    item = service.get_certification(current_user, certification_id)
    required = dict(service.certifications()).get(item, [])
    form = _certification_form(item, required)
    if submit(form, lambda: service.save_certification(current_user, form.data, item.id)) is not None:
        flash(_("The certification is saved."), "success")
        return redirect_to(url_for("training_admin.certifications"))
    return render("training_admin/certification_form.html", status=status(form), form=form, certification=item)


@bp.post("/certificates/<id:certificate_id>/revoke")
@require(Permission.MANAGE_COURSES)
def revoke(certificate_id: int):
    if submit(ActionForm(), lambda: service.revoke(current_user, certificate_id)) is not None:
        flash(_("The certificate is revoked."), "success")
    return redirect_to(url_for("courses.certificate", certificate_id=certificate_id))


# --- tracking -----------------------------------------------------------------------------------------------

def _days() -> int:
    return {"30": 30, "60": 60, "90": 90}.get(request.args.get("days", "30"), 30)


TABLES = ("courses", "partners", "expiring", "feedback")  # the tracking page's tabs, each with its CSV


@bp.get("/reports")
@require(Permission.VIEW_TRAINING_REPORTS)
@conditional(Course, Enrolment, LessonCompletion, Attempt, Feedback, Certificate, Certification, Partner, User,
             per_minute=True)
def reports_page():
    """One tracking table at a time (``table``; an unknown one shows the courses), a page of ``SHOWN`` rows;
    its CSV export has every row."""
    table = request.args.get("table", "courses")
    table = table if table in TABLES else "courses"
    number, days, now = page_number(), _days(), utcnow()
    cut = {"limit": SHOWN + 1, "offset": (number - 1) * SHOWN}
    if table == "courses":
        rows = reports.course_stats(current_user, **cut)
    elif table == "partners":
        rows = reports.certified_by_partner(current_user, now, **cut)
    elif table == "expiring":
        rows = service.expiring(current_user, days, now, **cut)
    else:
        rows = reports.feedback_rows(current_user, **cut)
    return render("training_admin/reports.html", table=table, page=Page.of(rows, number, SHOWN), days=days)


@bp.get("/reports/<any(courses, partners, expiring, feedback):table>.csv")
@require(Permission.VIEW_TRAINING_REPORTS)
def export(table: str):
    header, rows = reports.export(current_user, table, _days())
    return csv_file.download(f"training-{table}-{utcnow():%Y%m%d}.csv", header, rows)
