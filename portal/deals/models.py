"""Deal registrations with their product lines and status history; the stored conflict-rate KPI."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

# submitted → approved (in protection until protection_ends_at) → won / lost / expired;
# submitted → rejected / withdrawn; any open one → released when its partner is terminated.
STATUSES = ("submitted", "approved", "rejected", "withdrawn", "won", "lost", "expired", "released")


class Deal(db.Model):
    """A partner's registration of an opportunity with a customer, and the keys that match it to others."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("estimated_value_cents >= 0", name="deal_value_not_negative"),
        Index("ix_deals_partner_created", "partner_id", "created_at", "id"),  # my deals, newest first
        Index("ix_deals_partner_status_protection", "partner_id", "status", "protection_ends_at"),  # ... protected
        Index("ix_deals_status_created", "status", "created_at", "id"),  # the review queue, oldest first
        Index("ix_deals_status_protection", "status", "protection_ends_at"),  # the daily expiry job
        # the conflict check: equality on each key (never a scan)
        Index("ix_deals_name_key", "name_key"),
        Index("ix_deals_name_head", "name_head"),
        Index("ix_deals_name_mid", "name_mid"),
        Index("ix_deals_name_tail", "name_tail"),
        Index("ix_deals_domain_key", "domain_key"),
        Index("ix_deals_company_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_domain: Mapped[str] = mapped_column(String(200), default="")  # as typed: website or e-mail domain
    company_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # normalised
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    region: Mapped[str] = mapped_column(String(60), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    estimated_value_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_close: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")  # why rejected / lost / released
    protection_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the one extension
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # won / lost / expired
    won_value_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    won_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reminded_14_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reminded_7_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    had_conflict: Mapped[bool] = mapped_column(Boolean, default=False)  # when submitted (the conflict-rate KPI)
    name_key: Mapped[str] = mapped_column(String(200))
    name_head: Mapped[str] = mapped_column(String(8))
    name_mid: Mapped[str] = mapped_column(String(8))
    name_tail: Mapped[str] = mapped_column(String(8))
    domain_key: Mapped[str | None] = mapped_column(String(200), nullable=True)

    @property
    def number(self) -> str:
        return f"DR-{self.id:06d}"


class DealLine(db.Model):
    """A catalogue product the opportunity is for, with its quantity (the name and SKU as they were)."""

    __tablename__ = "deal_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="deal_quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), nullable=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)


class DealEvent(db.Model):
    """One step of a registration's status history (``from_status`` is empty for the first)."""

    __tablename__ = "deal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")


class DealKpi(db.Model):
    """The conflict-rate KPI per day, stored by the daily job for dashboards: registrations submitted that day
    and how many of them had a possible conflict when submitted."""

    __tablename__ = "deal_kpis"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    registrations: Mapped[int] = mapped_column(Integer, default=0)
    with_conflict: Mapped[int] = mapped_column(Integer, default=0)
