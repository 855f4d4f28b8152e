"""Partner companies and their lifecycle: applications with their scorecards, agreements, tier reviews
and quarterly evaluations."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class PartnerType(enum.StrEnum):
    DISTRIBUTOR = "distributor"
    RESELLER = "reseller"
    AGENT = "agent"
    RETAILER = "retailer"
    REFERRAL = "referral"


class PartnerStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=PartnerStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    channel_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True), index=True)
    # The price book tier (portal.catalogue.models.Tier); none means list prices.
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # From the application: duplicate detection compares the normalised ``domain`` and ``company_id``.
    country: Mapped[str] = mapped_column(String(60), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    company_id: Mapped[str | None] = mapped_column(String(40), index=True)

    # Not joined by default: every signed-in request loads User -> Partner, and the manager is only
    # shown on the partners pages (partners.service.visible_partners joins it there).
    channel_manager = relationship("User", foreign_keys=[channel_manager_id], lazy="select")


# --- recruitment -------------------------------------------------------------------------------------

class ApplicationStatus(enum.StrEnum):
    NEW = "new"                # submitted, nobody scored it yet
    IN_REVIEW = "in_review"    # at least one reviewer scored it
    APPROVED = "approved"
    REJECTED = "rejected"


OPEN_APPLICATION = (ApplicationStatus.NEW, ApplicationStatus.IN_REVIEW)


class Application(db.Model):
    """A company's request to become a partner, sent from the public page (no account is created)."""

    __tablename__ = "partner_applications"
    __table_args__ = (
        Index("ix_partner_applications_status_created", "status", "created_at", "id"),
        Index("ix_partner_applications_score", "score_tenths", "id"),  # the list sorted by score
        Index("ix_partner_applications_created", "created_at", "id"),  # the list's default order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.NEW)
    company: Mapped[str] = mapped_column(String(160))
    country: Mapped[str] = mapped_column(String(60))
    region: Mapped[str] = mapped_column(String(20), index=True)
    partner_type: Mapped[str] = mapped_column(String(20), index=True)
    website: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(200), index=True)
    company_id: Mapped[str | None] = mapped_column(String(40), index=True)
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    employees: Mapped[str] = mapped_column(String(20))
    revenue_band: Mapped[str] = mapped_column(String(20))
    markets: Mapped[str] = mapped_column(Text, default="")
    industries: Mapped[str] = mapped_column(Text, default="")
    certifications: Mapped[str] = mapped_column(Text, default="")
    motivation: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10), default="en")  # the applicant's e-mails' language
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the reviewers' average weighted score in tenths (723 = 72.3), kept with each review for sorting
    score_tenths: Mapped[int | None] = mapped_column(Integer)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))

    @property
    def score(self) -> Decimal | None:
        """The reviewers' average on 0–100 (``score_tenths`` / 10, exact)."""
        return None if self.score_tenths is None else (Decimal(self.score_tenths) / 10).quantize(Decimal("0.1"))


class ScorecardCriterion(db.Model):
    """One weighted criterion of the application scorecard; the active ones' weights sum to 100."""

    __tablename__ = "scorecard_criteria"
    __table_args__ = (CheckConstraint("weight >= 1 AND weight <= 100", name="weight_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    weight: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApplicationReview(db.Model):
    """One reviewer's scorecard for one application (their scores are ``ApplicationScore`` rows)."""

    __tablename__ = "application_reviews"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("partner_applications.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # the weighted total in tenths: 2 × Σ weight × score, exact (see portal.partners.scorecard)
    total_tenths: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    reviewer = relationship("User", lazy="raise")


class ApplicationScore(db.Model):
    """A reviewer's 1–5 score on one criterion, with the criterion's name and weight as they were then."""

    __tablename__ = "application_scores"
    __table_args__ = (CheckConstraint("score >= 1 AND score <= 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("application_reviews.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("scorecard_criteria.id", ondelete="SET NULL"))
    criterion_name: Mapped[str] = mapped_column(String(80))
    weight: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


# --- agreements ----------------------------------------------------------------------------------------

class Agreement(db.Model):
    """A partner's contract for a period. A renewal is a new agreement pointing at the one it follows."""

    __tablename__ = "partner_agreements"
    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="period_order"),
        CheckConstraint("annual_target_cents >= 0", name="target_not_negative"),
        Index("ix_partner_agreements_partner_starts", "partner_id", "starts_on", "id"),
        Index("ix_partner_agreements_ends", "ends_on", "partner_id"),  # "ending within 60 days"
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    annual_target_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    exit_terms: Mapped[str] = mapped_column(Text, default="")
    document_key: Mapped[str | None] = mapped_column(String(80))  # stored outside static (catalogue.files)
    document_name: Mapped[str | None] = mapped_column(String(200))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agreements.id", ondelete="SET NULL"))
    renewed: Mapped[bool] = mapped_column(Boolean, default=False)  # a later agreement follows this one
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- tier reviews --------------------------------------------------------------------------------------

class TierReview(db.Model):
    """One run of the tier review (quarterly, or on demand) with its progress."""

    __tablename__ = "tier_reviews"
    __table_args__ = (UniqueConstraint("kind", "period"),)  # one scheduled review per quarter

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # scheduled | on_demand
    period: Mapped[str | None] = mapped_column(String(10))  # "2026-Q4" for the scheduled ones
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | done | failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    measured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(String(300), default="")


class TierChange(db.Model):
    """A partner the review found qualifying for another tier (or held back by an unmeasured requirement),
    with the evidence. An admin confirms or dismisses it."""

    __tablename__ = "tier_changes"
    __table_args__ = (
        UniqueConstraint("review_id", "partner_id"),
        Index("ix_tier_changes_status_review", "status", "review_id"),
        Index("ix_tier_changes_partner_decided", "partner_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("tier_reviews.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", ondelete="SET NULL"))
    to_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(10))  # promote | demote | hold
    revenue_cents: Mapped[int] = mapped_column(BigInteger)
    certified: Mapped[int | None] = mapped_column(Integer)  # None: not measured
    evidence: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed | confirmed | dismissed
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- quarterly evaluations -----------------------------------------------------------------------------

class Evaluation(db.Model):
    """A partner's quarterly scorecard: KPIs the portal computed (``kpis``, a snapshot), the channel
    manager's ratings and improvement notes. draft → shared (e-mailed) → acknowledged by the partner."""

    __tablename__ = "partner_evaluations"
    __table_args__ = (
        UniqueConstraint("partner_id", "year", "quarter"),
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
        CheckConstraint("customer_satisfaction IS NULL OR (customer_satisfaction >= 1 AND customer_satisfaction <= 5)",
                        name="satisfaction_range"),
        CheckConstraint("marketing_participation IS NULL OR "
                        "(marketing_participation >= 1 AND marketing_participation <= 5)", name="marketing_range"),
        Index("ix_partner_evaluations_status", "status", "partner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | shared | acknowledged
    kpis: Mapped[dict] = mapped_column(JSON, default=dict)
    customer_satisfaction: Mapped[int | None] = mapped_column(Integer)
    marketing_participation: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EvaluationAction(db.Model):
    """One action of an evaluation's improvement plan, with its due date."""

    __tablename__ = "evaluation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("partner_evaluations.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
