"""/api/v1 enablement: the courses a user may take with their progress, their enrolments, certificates (a
partner's, for training staff and partner admins) and their check by number, and the resource library —
over the web pages' own services (same audience and tenancy rules)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from portal.blueprints.api.base import operation
from portal.core.pagination import MAX_PAGE_SIZE
from portal.core.permissions import Permission
from portal.extensions import db
from portal.resources import service as resources
from portal.training import courses, quiz, service
from portal.training.audience import unpack
from portal.training.models import Course, Enrolment


class CourseOut(BaseModel):
    id: int
    title: str
    summary: str
    level: str = Field(description="beginner, intermediate or advanced")
    status: str = Field(description="draft, published or archived (learners see published ones only)")
    audience_types: list[str] = Field(description="Partner types it is for; empty: every type.")
    audience_tiers: list[int] = Field(description="Tier ids it is for; empty: every tier.")
    pass_mark: int = Field(description="Percent of the quiz's questions to answer right.")
    max_attempts: int = Field(description="Submitted attempts allowed until a pass; 0: no limit.")
    lessons: int
    lessons_done: int = Field(description="Lessons the caller marked complete.")
    enrolled: bool


class CourseList(BaseModel):
    items: list[CourseOut]


class EnrolmentOut(BaseModel):
    course_id: int
    course_title: str
    enrolled_at: datetime
    completed_at: datetime | None = Field(description="When every lesson was complete.")
    lessons: int
    lessons_done: int
    best_score: int | None = Field(description="Best submitted quiz score (percent).")
    passed: bool
    attempts_left: int | None = Field(description="None: no limit.")


class EnrolmentList(BaseModel):
    items: list[EnrolmentOut]


class CertificateOut(BaseModel):
    number: str
    certification: str
    holder_name: str
    partner_id: int
    issued_at: datetime
    expires_at: datetime = Field(description="Valid on [issued_at, expires_at).")
    status: str = Field(description="valid, expired or revoked (now)")


class CertificateList(BaseModel):
    items: list[CertificateOut]


class CertificateQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: int | None = Field(default=None, ge=1, le=2**63 - 1,
                                   description="Training staff and admins: one partner's certificates.")


class VerificationOut(BaseModel):
    number: str
    certification: str
    holder_name: str
    issued_at: datetime
    expires_at: datetime
    status: str = Field(description="valid, expired or revoked (now)")


class ResourceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=100, description="Title or description contains this.")
    category: str = Field(default="", pattern=r"^(|marketing|sales_tool|case_study|price_list|datasheet)$")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


class ResourceOut(BaseModel):
    id: int
    title: str
    description: str
    category: str
    version: int
    kind: str = Field(description="file or link")
    download_path: str = Field(description="The portal path that downloads the file or opens the link.")
    download_count: int
    updated_at: datetime


class ResourcePage(BaseModel):
    items: list[ResourceOut]
    page: int
    per_page: int
    has_next: bool


def _certificate(held) -> CertificateOut:
    c = held.certificate
    return CertificateOut(number=c.number, certification=held.name, holder_name=c.holder_name,
                          partner_id=c.partner_id, issued_at=c.issued_at, expires_at=c.expires_at, status=held.status)


@operation("/courses", summary="Courses the caller may take (trainers: every course), with their progress",
           response=CourseList, tags=("training",))
def list_courses(user) -> CourseList:
    return CourseList(items=[CourseOut(
        id=r.course.id, title=r.course.title, summary=r.course.summary, level=r.course.level, status=r.course.status,
        audience_types=unpack(r.course.audience_types),
        audience_tiers=[int(t) for t in unpack(r.course.audience_tiers)],
        pass_mark=r.course.pass_mark, max_attempts=r.course.max_attempts, lessons=r.lessons, lessons_done=r.done,
        enrolled=r.enrolled) for r in courses.catalogue(user)])


@operation("/enrolments", summary="The caller's enrolments with progress and quiz results", response=EnrolmentList,
           permission=Permission.TAKE_COURSES, tags=("training",))
def list_enrolments(user) -> EnrolmentList:
    rows = {r.course.id: r for r in courses.catalogue(user)}
    items = []
    for enrolment, course in db.session.execute(select(Enrolment, Course).join(Course, Course.id == Enrolment.course_id)
                                                .where(Enrolment.user_id == user.id).order_by(Enrolment.id)):
        attempts = quiz.attempts_of(user, course.id)
        row = rows.get(course.id)
        items.append(EnrolmentOut(
            course_id=course.id, course_title=course.title, enrolled_at=enrolment.enrolled_at,
            completed_at=enrolment.completed_at, lessons=row.lessons if row else 0, lessons_done=row.done if row else 0,
            best_score=max((a.score for a in attempts), default=None), passed=any(a.passed for a in attempts),
            attempts_left=quiz.attempts_left(user, course)))
    return EnrolmentList(items=items)


@operation("/certificates", summary="Certificates: a partner's (training staff, admins, partner admins) or the "
           "caller's own", query=CertificateQuery, response=CertificateList, tags=("training",))
def list_certificates(user, query: CertificateQuery) -> CertificateList:
    return CertificateList(items=[_certificate(h) for h in service.certificates_for(user, query.partner_id)])


@operation("/certificates/<number>", summary="Verify a certificate by its number", response=VerificationOut,
           tags=("training",))
def verify_certificate(user, number: str) -> VerificationOut:
    held = service.verify(number)
    c = held.certificate
    return VerificationOut(number=c.number, certification=held.name, holder_name=c.holder_name,
                           issued_at=c.issued_at, expires_at=c.expires_at, status=held.status)


@operation("/resources", summary="The resource library of the caller's audience", query=ResourceQuery,
           response=ResourcePage, tags=("training",))
def list_resources(user, query: ResourceQuery) -> ResourcePage:
    page = resources.library(user, query.q, query.category, query.page, query.per_page)
    return ResourcePage(items=[ResourceOut(
        id=r.id, title=r.title, description=r.description, category=r.category, version=r.version,
        kind="file" if r.file_key else "link", download_path=f"/resources/{r.id}/download",
        download_count=r.download_count, updated_at=r.updated_at) for r in page.items],
        page=page.number, per_page=page.size, has_next=page.has_next)
