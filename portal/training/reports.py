"""Trainer tracking: per course enrolments, completion rate, pass rate, average score and feedback; per
partner certified people; the CSV of each table. Each table is one set-based query (no per-row queries).

Rates: completion = enrolments with every lesson complete / enrolments; pass rate = people who passed the
quiz / people who submitted an attempt; average score = mean of submitted attempts' scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import case, distinct, func, select

from portal.accounts.models import User
from portal.core.errors import Forbidden
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import Partner
from portal.partners.service import partner_scope
from portal.training.models import Attempt, Certificate, Course, Enrolment, Feedback
from portal.training.service import status_at, valid_at


def _check(actor) -> None:
    if not (actor.can(Permission.VIEW_TRAINING_REPORTS) or actor.can(Permission.MANAGE_COURSES)):
        raise Forbidden(_("You do not have permission to do that."))


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class CourseStats:
    id: int
    title: str
    status: str
    enrolments: int
    completed: int
    takers: int
    passers: int
    average_score: Decimal | None
    rating: Decimal | None
    ratings: int

    @property
    def completion_rate(self) -> Decimal | None:
        return percent(self.completed, self.enrolments)

    @property
    def pass_rate(self) -> Decimal | None:
        return percent(self.passers, self.takers)


def course_stats(actor, limit: int | None = None, offset: int = 0, busiest: bool = False) -> list[CourseStats]:
    """Courses with their figures (the enrolments and attempts in the actor's scope), in one statement: by title,
    or with ``busiest`` most enrolments first; ``limit``/``offset`` cut the list of courses before any figure
    is counted, so a page of courses counts only its own enrolments and attempts."""
    _check(actor)
    order = (Course.title, Course.id)
    shown = select(Course.id)
    if busiest:
        enrolments = (select(func.count(Enrolment.id)).where(Enrolment.course_id == Course.id,
                                                            partner_scope(actor, Enrolment.partner_id))
                      .correlate(Course).scalar_subquery())
        shown = shown.order_by(enrolments.desc(), *order)
    else:
        shown = shown.order_by(*order)
    shown = shown.limit(limit).offset(offset)
    enrolled = (select(Enrolment.course_id, func.count(Enrolment.id).label("n"),
                       func.count(Enrolment.completed_at).label("done"))
                .where(Enrolment.course_id.in_(shown), partner_scope(actor, Enrolment.partner_id))
                .group_by(Enrolment.course_id).subquery())
    tried = (select(Attempt.course_id, func.count(distinct(Attempt.user_id)).label("takers"),
                    func.count(distinct(case((Attempt.passed.is_(True), Attempt.user_id)))).label("passers"),
                    func.avg(Attempt.score).label("avg"))
             .where(Attempt.course_id.in_(shown), Attempt.submitted_at.is_not(None),
                    partner_scope(actor, Attempt.partner_id))
             .group_by(Attempt.course_id).subquery())
    rated = (select(Feedback.course_id, func.avg(Feedback.rating).label("avg"), func.count(Feedback.id).label("n"))
             .where(Feedback.course_id.in_(shown)).group_by(Feedback.course_id).subquery())
    rows = db.session.execute(
        select(Course.id, Course.title, Course.status, enrolled.c.n, enrolled.c.done, tried.c.takers,
               tried.c.passers, tried.c.avg, rated.c.avg, rated.c.n)
        .outerjoin(enrolled, enrolled.c.course_id == Course.id).outerjoin(tried, tried.c.course_id == Course.id)
        .outerjoin(rated, rated.c.course_id == Course.id).where(Course.id.in_(shown))
        .order_by(*((func.coalesce(enrolled.c.n, 0).desc(),) if busiest else ()), *order))
    one = Decimal("0.1")
    return [CourseStats(i, t, s, n or 0, done or 0, takers or 0, passers or 0,
                        Decimal(str(avg)).quantize(one, ROUND_HALF_UP) if avg is not None else None,
                        Decimal(str(rating)).quantize(one, ROUND_HALF_UP) if rating is not None else None, count or 0)
            for i, t, s, n, done, takers, passers, avg, rating, count in rows]


def certified_query(actor, at: datetime):
    """The statement of ``certified_by_partner``: counted per partner id first (in the certificates' partner
    order, from their holders index), then each count gets its partner's name; most certified people first."""
    counted = (select(Certificate.partner_id, func.count(distinct(Certificate.user_id)).label("people"),
                      func.count(Certificate.id).label("held"))
               .join(User, User.id == Certificate.user_id)
               .where(valid_at(at), User.active.is_(True), partner_scope(actor, Certificate.partner_id))
               .group_by(Certificate.partner_id).subquery())
    return (select(Partner.id, Partner.name, counted.c.people, counted.c.held)
            .join(counted, counted.c.partner_id == Partner.id)
            .order_by(counted.c.people.desc(), Partner.name, Partner.id))


def certified_by_partner(actor, at: datetime, limit: int | None = None,
                         offset: int = 0) -> list[tuple[int, str, int, int]]:
    """(partner id, name, certified people now, valid certificates now) for partners with any, most first (a
    page of them: ``limit`` from ``offset``; all of them for the CSV)."""
    _check(actor)
    return [tuple(r) for r in db.session.execute(certified_query(actor, at).limit(limit).offset(offset))]


def feedback_rows(actor, limit: int = 100, offset: int = 0) -> list[tuple[str, str, int, str, datetime]]:
    """The latest feedback, newest first: (course, person, rating, comment, when)."""
    _check(actor)
    rows = db.session.execute(
        select(Course.title, User.name, Feedback.rating, Feedback.comment, Feedback.created_at)
        .join(Course, Course.id == Feedback.course_id).join(User, User.id == Feedback.user_id)
        .where(partner_scope(actor, User.partner_id))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit).offset(offset))
    return [tuple(r) for r in rows]


def export(actor, table: str, days: int) -> tuple[list[str], Iterable[list]]:
    """The header and rows of one tracking table as CSV."""
    from portal.training import service

    now = utcnow()
    if table == "courses":
        return ([_("Course"), _("Status"), _("Enrolments"), _("Completed"), _("Completion rate (%)"),
                 _("Quiz takers"), _("Passed"), _("Pass rate (%)"), _("Average score (%)"), _("Average rating"),
                 _("Ratings")],
                [[c.title, c.status, c.enrolments, c.completed, c.completion_rate, c.takers, c.passers, c.pass_rate,
                  c.average_score, c.rating, c.ratings] for c in course_stats(actor)])
    if table == "partners":
        return ([_("Partner"), _("Certified people"), _("Valid certificates")],
                [[name, people, held] for _id, name, people, held in certified_by_partner(actor, now)])
    if table == "feedback":
        return ([_("Course"), _("Person"), _("Rating"), _("Comment"), _("Date")],
                [[c, p, r, text, when.date().isoformat()] for c, p, r, text, when in feedback_rows(actor, 10_000)])
    return ([_("Certificate"), _("Holder"), _("Partner"), _("Certification"), _("Expires"), _("Status")],
            [[h.certificate.number, h.certificate.holder_name, partner, h.name,
              h.certificate.expires_at.date().isoformat(), status_at(h.certificate, now)]
             for h, partner in service.expiring(actor, days, now)])
