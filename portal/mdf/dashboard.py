"""The first screen's MDF panel: a partner sees the quarter's budget remaining, requests waiting and claims
due; vendor staff who decide see the requests and claims waiting for them (count and the oldest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from portal.core.permissions import Permission
from portal.extensions import db
from portal.mdf import requests, service
from portal.mdf.models import MdfRequest


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
    if actor.can(Permission.REQUEST_MDF) and actor.partner_id is not None:
        period = service.current_period()
        found = service.figures([actor.partner_id], [period]).get((actor.partner_id, *period))
        line = service.PeriodLine(period, found[1], found[0]) if found else service.PeriodLine(
            period, "USD", service.Figures())
        waiting, due, next_due = db.session.execute(select(
            func.count().filter(MdfRequest.status == "submitted"), func.count().filter(MdfRequest.status == "approved"),
            func.min(MdfRequest.claim_due_on).filter(MdfRequest.status == "approved"))
            .where(MdfRequest.partner_id == actor.partner_id)).one()
        return Panel("partner", line=line, requests_waiting=waiting, claims_due=due, next_claim_due=next_due)
    if not actor.can(Permission.DECIDE_MDF):
        return None
    count, since = requests.waiting(actor, ("submitted",))
    claims, claims_since = requests.waiting(actor, ("claimed", "reimbursed"))
    return Panel("vendor", requests_waiting=count, requests_since=since, claims_waiting=claims,
                 claims_since=claims_since)
