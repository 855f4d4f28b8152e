"""Market development funds: a partner's budget per quarter, its requests for funds, the claims against
approved requests with their proof-of-performance files (SPEC §6)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class MdfBudget(db.Model):
    """What a partner may spend on marketing in one quarter (set by an admin, on the page or by CSV)."""

    __tablename__ = "mdf_budgets"
    __table_args__ = (
        UniqueConstraint("partner_id", "year", "quarter"),
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        Index("ix_mdf_budgets_period", "year", "quarter", "partner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MdfRequest(db.Model):
    """A request for funds and everything that follows it, in ``status``:

    submitted → approved (``approved_cents`` ≤ requested, ≤ the budget remaining) | rejected (``reason``);
    approved → claimed (the partner claims with proof) → reimbursed (``reimbursed_cents`` ≤ approved) → paid;
    approved and never claimed → lapsed on ``claim_due_on`` (its amount returns to the budget)."""

    __tablename__ = "mdf_requests"
    __table_args__ = (
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
        CheckConstraint("requested_cents > 0", name="requested_positive"),
        CheckConstraint("approved_cents IS NULL OR (approved_cents > 0 AND approved_cents <= requested_cents)",
                        name="approved_range"),
        CheckConstraint("reimbursed_cents IS NULL OR (reimbursed_cents >= 0 AND reimbursed_cents <= approved_cents)",
                        name="reimbursed_range"),
        CheckConstraint("ends_on >= starts_on", name="dates_order"),
        Index("ix_mdf_requests_partner_period", "partner_id", "year", "quarter", "status"),
        Index("ix_mdf_requests_status_created", "status", "created_at"),
        Index("ix_mdf_requests_claim_due", "status", "claim_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)  # the budget's quarter: the one the activity starts in
    quarter: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    requested_cents: Mapped[int] = mapped_column(BigInteger)
    approved_cents: Mapped[int | None] = mapped_column(BigInteger)
    reimbursed_cents: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    reason: Mapped[str] = mapped_column(String(1000), default="")  # why it was rejected
    claim_due_on: Mapped[date | None] = mapped_column(Date)  # unclaimed after this day: lapsed
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the claim: what the partner spent and the results they report (MDF ROI)
    claimed_cents: Mapped[int | None] = mapped_column(BigInteger)
    leads: Mapped[int | None] = mapped_column(Integer)
    pipeline_cents: Mapped[int | None] = mapped_column(BigInteger)
    revenue_cents: Mapped[int | None] = mapped_column(BigInteger)  # revenue the partner attributes to it
    claim_notes: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claim_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_reference: Mapped[str] = mapped_column(String(80), default="")
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MdfFile(db.Model):
    """A proof-of-performance file of a claim, stored outside ``static`` (``catalogue.files``)."""

    __tablename__ = "mdf_files"
    __table_args__ = (Index("ix_mdf_files_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("mdf_requests.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
