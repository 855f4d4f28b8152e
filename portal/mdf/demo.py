"""MDF demo data: every demo partner has a budget this quarter and last; Northwind has a paid claim last
quarter (with its results, so MDF ROI shows), an approval to claim and a request waiting — once, however often
it runs. The large scale gives every partner a budget this quarter (one bulk insert)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from portal.accounts.models import User
from portal.core.time import utcnow
from portal.extensions import db
from portal.mdf import requests, service
from portal.mdf.models import MdfBudget, MdfRequest
from portal.partners.models import Partner

DEMO_BUDGETS = {"Northwind Trading": (5_000_000, "USD"), "东风贸易有限公司 (Eastwind)": (30_000_000, "CNY")}


def seed(scale: str = "small") -> str:
    current = service.current_period()
    previous = service.previous_period(current)
    partners = {p.name: p for p in db.session.scalars(select(Partner).where(Partner.name.in_(DEMO_BUDGETS)))}
    if not partners or db.session.scalar(select(func.count()).select_from(MdfBudget).where(
            MdfBudget.partner_id.in_([p.id for p in partners.values()]))):
        return ""
    for name, partner in partners.items():
        amount, currency = DEMO_BUDGETS[name]
        for year, quarter in (previous, current):
            db.session.add(MdfBudget(partner_id=partner.id, year=year, quarter=quarter, amount_cents=amount,
                                     currency=currency))
    northwind = partners.get("Northwind Trading")
    added = 0
    if northwind is not None:
        added = _northwind(northwind, previous, current)
    summary = f"MDF: {2 * len(partners)} budgets, {added} requests"
    if scale == "large":
        summary += "; " + _large(current)
    db.session.flush()
    return summary


def _northwind(partner: Partner, previous: service.Period, current: service.Period) -> int:
    anna = db.session.scalar(select(User).where(User.email == "anna@northwind.demo.test"))
    manager_id = partner.channel_manager_id
    now = utcnow()
    start = service.period_start(previous)
    by = anna.id if anna else None
    rows = [
        MdfRequest(partner_id=partner.id, year=previous[0], quarter=previous[1], activity="event",
                   title="Automation Fair booth", description="Booth, demo rack and leaflets at the regional fair.",
                   starts_on=start + timedelta(days=20), ends_on=start + timedelta(days=22), currency="USD",
                   requested_cents=1_800_000, approved_cents=1_500_000, claimed_cents=1_420_000,
                   reimbursed_cents=1_420_000, leads=64, pipeline_cents=21_000_000, revenue_cents=6_800_000,
                   claim_notes="310 visitors, 64 qualified leads.", status="paid", created_by=by,
                   decided_by=manager_id, claim_decided_by=manager_id, payment_reference="MDF-PAY-0001",
                   claim_due_on=requests.claim_due_on(previous), paid_on=(now - timedelta(days=3)).date(),
                   paid_at=now - timedelta(days=3), created_at=now - timedelta(days=80)),
        MdfRequest(partner_id=partner.id, year=current[0], quarter=current[1], activity="webinar",
                   title="Edge computing webinar series", description="Three webinars for plant engineers.",
                   starts_on=service.period_start(current), ends_on=service.period_start(current) + timedelta(days=30),
                   currency="USD", requested_cents=900_000, approved_cents=800_000, status="approved", created_by=by,
                   decided_by=manager_id, decided_at=now - timedelta(days=5),
                   claim_due_on=requests.claim_due_on(current), created_at=now - timedelta(days=7)),
        MdfRequest(partner_id=partner.id, year=current[0], quarter=current[1], activity="digital",
                   title="LinkedIn campaign: IR-300", description="Four weeks of sponsored posts in DACH.",
                   starts_on=service.period_start(current) + timedelta(days=10),
                   ends_on=service.period_start(current) + timedelta(days=40), currency="USD",
                   requested_cents=1_200_000, status="submitted", created_by=by, created_at=now - timedelta(days=2)),
    ]
    db.session.add_all(rows)
    return len(rows)


def _large(current: service.Period) -> str:
    have = select(MdfBudget.partner_id).where(MdfBudget.year == current[0], MdfBudget.quarter == current[1])
    ids = list(db.session.scalars(select(Partner.id).where(Partner.id.not_in(have))))
    if ids:
        db.session.execute(insert(MdfBudget), [
            {"partner_id": pid, "year": current[0], "quarter": current[1], "amount_cents": 1_000_000 + (pid % 20)
             * 250_000, "currency": "USD", "updated_at": utcnow()} for pid in ids])
    return f"{len(ids)} MDF budgets"
