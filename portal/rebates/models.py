"""Rebate programs with their ladders and eligibility, calculation runs, statements and their lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

# Eligibility: empty means "all" (every tier / partner type / product category).
program_tiers = Table(
    "rebate_program_tiers", db.metadata,
    Column("program_id", ForeignKey("rebate_programs.id", ondelete="CASCADE"), primary_key=True),
    Column("tier_id", ForeignKey("tiers.id", ondelete="CASCADE"), primary_key=True),
)
program_types = Table(
    "rebate_program_types", db.metadata,
    Column("program_id", ForeignKey("rebate_programs.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_type", String(20), primary_key=True),
)
program_categories = Table(
    "rebate_program_categories", db.metadata,
    Column("program_id", ForeignKey("rebate_programs.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class RebateProgram(db.Model):
    """A rebate program. ``period_type`` month / quarter / year; ``mode`` retroactive / incremental;
    ``status`` draft → active → closed. Revenue counts in ``currency`` only."""

    __tablename__ = "rebate_programs"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="range_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    period_type: Mapped[str] = mapped_column(String(10), default="quarter")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(12), default="retroactive")
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RebateRung(db.Model):
    """One rung: from ``threshold_cents`` up, ``rate_thousandths`` thousandths of a percent (8000 = 8 %)."""

    __tablename__ = "rebate_rungs"
    __table_args__ = (
        UniqueConstraint("program_id", "position"),
        CheckConstraint("rate_thousandths >= 0 AND rate_thousandths <= 100000", name="rate_range"),
        CheckConstraint("threshold_cents >= 0", name="threshold_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("rebate_programs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    threshold_cents: Mapped[int] = mapped_column(BigInteger)
    rate_thousandths: Mapped[int] = mapped_column(Integer)


class RebateRun(db.Model):
    """One calculation of a program's period. ``running_key`` holds the program id while the run is queued or
    running (NULL after): a unique column, so a second run of the same program cannot start meanwhile."""

    __tablename__ = "rebate_runs"
    __table_args__ = (Index("ix_rebate_runs_program_created", "program_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("rebate_programs.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    status: Mapped[str] = mapped_column(String(10), default="queued")
    running_key: Mapped[int | None] = mapped_column(Integer, unique=True)
    job_id: Mapped[str] = mapped_column(String(64), default="")
    statements: Mapped[int] = mapped_column(Integer, default=0)
    rebate_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(String(300), default="")


class RebateStatement(db.Model):
    """What a partner earned in one period of a program: draft → approved → paid.

    ``earned_cents`` is the period's own rebate; ``adjustment_cents`` the clawbacks/top-ups of earlier
    approved periods (its adjustment lines); ``amount_cents`` = earned + adjustment is what is paid."""

    __tablename__ = "rebate_statements"
    __table_args__ = (
        UniqueConstraint("program_id", "partner_id", "period_start"),
        Index("ix_rebate_statements_partner_period", "partner_id", "period_start", "id"),
        Index("ix_rebate_statements_status_period", "status", "period_start", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("rebate_programs.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_runs.id", ondelete="SET NULL"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    status: Mapped[str] = mapped_column(String(10), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    mode: Mapped[str] = mapped_column(String(12))
    revenue_cents: Mapped[int] = mapped_column(BigInteger)
    rung: Mapped[int] = mapped_column(Integer)
    rate_thousandths: Mapped[int] = mapped_column(Integer)
    earned_cents: Mapped[int] = mapped_column(BigInteger)
    adjustment_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    next_threshold_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revenue_to_next_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    next_rate_thousandths: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    payment_reference: Mapped[str] = mapped_column(String(80), default="")


class RebateStatementLine(db.Model):
    """A contributing order (``kind`` order, + amount), an accepted return's credit (credit, − amount), or an
    adjustment of an earlier approved statement (adjustment: its revenue and earned rebate then and now)."""

    __tablename__ = "rebate_statement_lines"
    __table_args__ = (
        Index("ix_rebate_statement_lines_statement", "statement_id", "kind", "id"),
        # adjustments only: the many order and credit lines a calculation writes stay out of it
        Index("ix_rebate_statement_lines_adjusts_id", "adjusts_id", sqlite_where=text("adjusts_id IS NOT NULL"),
              postgresql_where=text("adjusts_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("rebate_statements.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("credits.id", ondelete="SET NULL"))
    reference: Mapped[str] = mapped_column(String(40), default="")
    happened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    adjusts_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_statements.id", ondelete="SET NULL"))
    from_revenue_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    to_revenue_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    from_earned_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    to_earned_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
