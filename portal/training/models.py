"""Enablement: courses with ordered lessons and a quiz, enrolments and progress, quiz attempts, feedback,
certifications and the certificates awarded for them.

Audiences (``audience_types``, ``audience_tiers``) are stored as ``,a,b,`` lists ("" = everyone) so one
``LIKE`` decides in SQL whether a partner is in it (``portal.training.audience``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_range"),
        CheckConstraint("max_attempts >= 0", name="attempts_not_negative"),
        Index("ix_courses_status_title", "status", "title", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20), default="beginner")
    audience_types: Mapped[str] = mapped_column(String(200), default="")
    audience_tiers: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft → published → archived
    pass_mark: Mapped[int] = mapped_column(Integer, default=80)  # percent of the quiz's questions
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)  # 0: no limit
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (Index("ix_lessons_course_position", "course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(160))
    content: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered by portal.training.markdown
    video_url: Mapped[str] = mapped_column(String(500), default="")
    external_url: Mapped[str] = mapped_column(String(500), default="")
    attachment_key: Mapped[str | None] = mapped_column(String(80))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(40))


class Question(db.Model):
    __tablename__ = "quiz_questions"
    __table_args__ = (Index("ix_quiz_questions_course_position", "course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)  # multiple choice: every correct option


class Option(db.Model):
    __tablename__ = "quiz_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(300))
    correct: Mapped[bool] = mapped_column(Boolean, default=False)


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"), Index("ix_enrolments_user", "user_id"),
                      # the trainer's course figures (training.reports.course_stats) from the index alone
                      Index("ix_enrolments_course_stats", "course_id", "partner_id", "completed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # every lesson marked complete


class LessonCompletion(db.Model):
    __tablename__ = "lesson_completions"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id"), Index("ix_lesson_completions_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attempt(db.Model):
    """One try at a course's quiz: the question (and option) order it was shown in, then the answers given,
    the score (percent) and the verdict once submitted."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_user_course", "user_id", "course_id", "id"),
                      Index("ix_quiz_attempts_course", "course_id", "submitted_at"),
                      # takers, passers and the average score per course, from the index alone
                      Index("ix_quiz_attempts_course_stats", "course_id", "user_id", "passed", "score", "partner_id",
                            "submitted_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    order: Mapped[list] = mapped_column(JSON, default=list)  # [[question id, [option ids]], …] as shown
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # {question id: [option ids]} as submitted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)


class Feedback(db.Model):
    __tablename__ = "course_feedback"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),
                      CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certification(db.Model):
    __tablename__ = "certifications"
    __table_args__ = (CheckConstraint("validity_months >= 1", name="validity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    validity_months: Mapped[int] = mapped_column(Integer, default=12)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertificationCourse(db.Model):
    """A course whose quiz a certification requires passing."""

    __tablename__ = "certification_courses"

    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id", ondelete="CASCADE"),
                                                  primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)


class Certificate(db.Model):
    """A certification awarded to a person: valid on [issued_at, expires_at) unless revoked. A renewal is a
    new certificate (new number, new period); the old one stays as history."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("expires_at > issued_at", name="period_order"),
        Index("ix_certificates_partner_period", "partner_id", "issued_at", "expires_at"),
        # the certified people per partner (training.reports.certified_by_partner) from the index alone
        Index("ix_certificates_partner_holders", "partner_id", "user_id", "status", "issued_at", "expires_at"),
        Index("ix_certificates_expires", "expires_at"),
        Index("ix_certificates_user_cert", "user_id", "certification_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    holder_name: Mapped[str] = mapped_column(String(120))  # as printed on the certificate
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="valid")  # valid | expired (job) | revoked
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the 30-day reminder went out
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
