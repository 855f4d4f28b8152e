"""The first screen's MDF panel: a partner sees the quarter's budget remaining, requests waiting and claims
due; vendor staff who decide see the requests and claims waiting for them (count and the oldest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select

from portal.core.permissions import Permission
from portal.extensions import db
from portal.mdf import service
from portal.mdf.models import MdfBudget, MdfRequest
from portal.partners.service import partner_scope


@dataclass(frozen=True)
class Panel:
    kind: str  # "partner" | "vendor"
    line: service.PeriodLine | None = None
    requests_waiting: int = 0
    claims_due: int = 0
    next_claim_due: date | None = None
    requests_since: datetime | None = None
    claims_waiting: int = 0
    claims_since: datetime | None = None


def dashboard_panel(actor) -> Panel | None:
    """One statement for either side."""
    if actor.can(Permission.REQUEST_MDF) and actor.partner_id is not None:
        return _partner_panel(actor.partner_id)
    if not actor.can(Permission.DECIDE_MDF):
        return None
    claim_states = ("claimed", "reimbursed")
    requests_waiting, requests_since, claims, claims_since = db.session.execute(select(
        func.count().filter(MdfRequest.status == "submitted"),
        func.min(MdfRequest.created_at).filter(MdfRequest.status == "submitted"),
        func.count().filter(MdfRequest.status.in_(claim_states)),
        func.min(MdfRequest.claimed_at).filter(MdfRequest.status.in_(claim_states)))
        .where(partner_scope(actor, MdfRequest.partner_id),
               MdfRequest.status.in_(("submitted", *claim_states)))).one()
    return Panel("vendor", requests_waiting=requests_waiting, requests_since=requests_since,
                 claims_waiting=claims, claims_since=claims_since)


def _partner_panel(partner_id: int) -> Panel:
    """The current quarter's figures (``service.tally`` over its sums per status), the counts of every quarter's
    waiting requests and approvals to claim, and the budget, in one statement."""
    year, quarter = period = service.current_period()
    in_period = and_(MdfRequest.year == year, MdfRequest.quarter == quarter)

    def period_sum(column, *statuses):
        return func.sum(case((and_(in_period, MdfRequest.status.in_(statuses)), column)))

    budget = select(MdfBudget).where(MdfBudget.partner_id == partner_id, MdfBudget.year == year,
                                     MdfBudget.quarter == quarter)
    row = db.session.execute(select(
        period_sum(MdfRequest.requested_cents, "submitted"), period_sum(MdfRequest.approved_cents, *service.COMMITTING),
        period_sum(MdfRequest.reimbursed_cents, "reimbursed"), period_sum(MdfRequest.reimbursed_cents, "paid"),
        func.count().filter(MdfRequest.status == "submitted"), func.count().filter(MdfRequest.status == "approved"),
        func.min(MdfRequest.claim_due_on).filter(MdfRequest.status == "approved"),
        budget.with_only_columns(MdfBudget.amount_cents).scalar_subquery(),
        budget.with_only_columns(MdfBudget.currency).scalar_subquery())
        .where(MdfRequest.partner_id == partner_id)).one()
    waiting, committed, reimbursed, paid = (None if v is None else int(v) for v in row[:4])
    sums = [("submitted", waiting, None, None), ("approved", None, committed, None),
            ("reimbursed", None, None, reimbursed), ("paid", None, None, paid)]
    figures = service.tally(int(row[7] or 0), sums)
    return Panel("partner", line=service.PeriodLine(period, row[8] or "USD", figures), requests_waiting=row[4],
                 claims_due=row[5], next_claim_due=row[6])
