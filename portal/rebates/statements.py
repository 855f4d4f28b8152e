"""Rebate statements: draft → approved (the partner's people are told, in-app and by e-mail) → paid.

Admins list every statement (filters: program, status, period, partner name) and approve in bulk; partners
read their own company's (``visible_to``: another company's statement is a 404). Approving checks that each
adjustment line still matches what is settled for the statement it adjusts (an earlier approval may have
settled it meanwhile): a stale draft must be calculated again, so nothing is paid twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.accounts.models import User
from portal.core import audit
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.partners.models import Partner
from portal.partners.service import partner_scope
from portal.rebates.models import RebateProgram, RebateStatement, RebateStatementLine

STATUS_LABELS = {"draft": _l("Draft"), "approved": _l("Approved"), "paid": _l("Paid")}
KIND_LABELS = {"order": _l("Order"), "credit": _l("Return credit"), "adjustment": _l("Adjustment")}


def _manager(actor) -> None:
    if not actor.can(Permission.MANAGE_REBATES):
        raise Forbidden(_("You do not have permission to do that."))


def visible_to(actor):
    """The one scoping rule of statements: admins (MANAGE_REBATES) see all; partner people with VIEW_REBATES
    their own company's approved and paid statements (drafts are the vendor's work in progress)."""
    stmt = (select(RebateStatement, Partner.name.label("partner_name"), RebateProgram.name.label("program_name"))
            .join(Partner, Partner.id == RebateStatement.partner_id)
            .join(RebateProgram, RebateProgram.id == RebateStatement.program_id))
    if actor.can(Permission.MANAGE_REBATES):
        return stmt
    if not actor.can(Permission.VIEW_REBATES) or actor.partner_id is None:
        raise Forbidden(_("You do not have permission to do that."))
    return stmt.where(partner_scope(actor, RebateStatement.partner_id), RebateStatement.status != "draft")


@dataclass(frozen=True)
class Filters:
    program_id: int | None = None
    status: str = ""
    period: date | None = None
    partner: str = ""


def listing(actor, filters: Filters):
    stmt = visible_to(actor)
    if filters.program_id:
        stmt = stmt.where(RebateStatement.program_id == filters.program_id)
    if filters.status in STATUS_LABELS:
        stmt = stmt.where(RebateStatement.status == filters.status)
    if filters.period:
        stmt = stmt.where(RebateStatement.period_start == filters.period)
    if filters.partner:
        stmt = stmt.where(Partner.name.ilike(f"%{filters.partner}%"))
    return stmt.order_by(RebateStatement.period_start.desc(), RebateStatement.id.desc())


def get(actor, statement_id: int):
    """(statement, partner name, program name) if ``actor`` may read it, else NotFound."""
    row = db.session.execute(visible_to(actor).where(RebateStatement.id == statement_id)).first()
    if row is None:
        raise NotFound(_("Statement not found."))
    return row


def lines(statement_id: int):
    """A statement's lines, adjustments first (a statement to paginate)."""
    adjustments_first = case((RebateStatementLine.kind == "adjustment", 0), else_=1)
    return (select(RebateStatementLine).where(RebateStatementLine.statement_id == statement_id)
            .order_by(adjustments_first, RebateStatementLine.happened_at, RebateStatementLine.id))


def adjustments_of(statement_id: int) -> list[RebateStatementLine]:
    return list(db.session.scalars(select(RebateStatementLine).where(
        RebateStatementLine.statement_id == statement_id, RebateStatementLine.kind == "adjustment")
        .order_by(RebateStatementLine.id)))


def _settled_now(statement_id: int) -> int:
    """What is settled for a statement today: its earned rebate plus its approved/paid adjustments."""
    earned = db.session.scalar(select(RebateStatement.earned_cents).where(RebateStatement.id == statement_id)) or 0
    holder = RebateStatement.__table__.alias("holder")
    extra = db.session.scalar(select(func.coalesce(func.sum(RebateStatementLine.amount_cents), 0))
                              .join(holder, holder.c.id == RebateStatementLine.statement_id)
                              .where(RebateStatementLine.adjusts_id == statement_id, holder.c.status != "draft"))
    return earned + int(extra or 0)


def approve(actor, statement_ids: list[int]) -> list[RebateStatement]:
    """Approve draft statements (in bulk); each partner's people are told. Conflict on a stale adjustment."""
    _manager(actor)
    if not statement_ids:
        raise Invalid({"statement_ids": [_("Choose at least one statement.")]})
    found = list(db.session.scalars(select(RebateStatement).where(RebateStatement.id.in_(statement_ids))
                                    .order_by(RebateStatement.id)))
    if len(found) != len(set(statement_ids)):
        raise NotFound(_("Statement not found."))
    approved = []
    for statement in found:
        if statement.status != "draft":
            continue
        for line in adjustments_of(statement.id):
            if line.adjusts_id is not None and _settled_now(line.adjusts_id) != line.from_earned_cents:
                raise Conflict(_("Statement %(number)s is out of date: calculate its period again.",
                                 number=statement.number))
        statement.status, statement.approved_at, statement.approved_by = "approved", utcnow(), actor.id
        db.session.flush()
        audit.record(actor, "rebate_statement.approved", statement, partner_id=statement.partner_id,
                     before={"status": "draft"}, after={"status": "approved"}, summary=statement.number)
        _tell_partner(statement)
        approved.append(statement)
    return approved


def mark_paid(actor, statement_id: int, reference: str, paid_on: date | None) -> RebateStatement:
    _manager(actor)
    statement = db.session.get(RebateStatement, statement_id)
    if statement is None:
        raise NotFound(_("Statement not found."))
    errors: dict[str, list[str]] = {}
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = [_("Enter the payment reference.")]
    elif len(reference) > 80:
        errors["reference"] = [_("Use at most %(n)s characters.", n=80)]
    if paid_on is None:
        errors["paid_on"] = [_("Enter a date.")]
    if errors:
        raise Invalid(errors)
    if statement.status != "approved":
        raise Conflict(_("Only an approved statement can be paid."))
    statement.status, statement.payment_reference, statement.paid_on = "paid", reference, paid_on
    audit.record(actor, "rebate_statement.paid", statement, partner_id=statement.partner_id,
                 before={"status": "approved"}, after={"status": "paid", "payment_reference": reference,
                                                       "paid_on": paid_on.isoformat()}, summary=statement.number)
    return statement


def _tell_partner(statement: RebateStatement) -> None:
    people = list(db.session.scalars(select(User).where(
        User.partner_id == statement.partner_id, User.active.is_(True), User.password_hash.is_not(None))))
    people = [p for p in people if p.can(Permission.VIEW_REBATES)]
    notify(f"rebate-approved:{statement.id}", people, "rebate_statement", link=f"/rebates/statements/{statement.id}",
           statement=statement)


# --- what a partner earns now ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Accrual:
    program: RebateProgram
    period_label: str
    revenue_cents: int
    payout: object  # ladder.Payout
    progress_percent: int  # towards the next rung (100 on the top rung)
    rungs: list = field(default_factory=list, repr=False)
    category_ids: list[int] = field(default_factory=list, repr=False)


def accruals(actor, today: date) -> list[Accrual]:
    """The current period of every active program the actor's company takes part in: eligible revenue so far,
    rung, rate, rebate so far and the way to the next rung (the same functions as the calculation job)."""
    from portal.rebates import calculation, ladder, service

    if actor.partner_id is None or not actor.can(Permission.VIEW_REBATES):
        return []
    found = list(db.session.scalars(select(RebateProgram).where(
        RebateProgram.status == "active", RebateProgram.starts_on <= today, RebateProgram.ends_on >= today)
        .order_by(RebateProgram.name).limit(10)))
    if not found:
        return []
    partner = db.session.get(Partner, actor.partner_id)
    ladders = service.ladders_of([p.id for p in found])
    result = []
    for program in found:
        elig = service.eligibility_of(program.id)
        if (elig.tier_ids and partner.tier_id not in elig.tier_ids) or (
                elig.partner_types and partner.type not in elig.partner_types) or not ladders[program.id]:
            continue
        period = service.period_containing(program.period_type, today)
        frm, to = calculation.window(program, period.start, period.end)
        cents = calculation.revenue_by_partner(program, elig, frm, to, [partner.id]).get(partner.id, 0)
        rungs = ladders[program.id]
        pay = ladder.payout_cents(program.mode, rungs, cents)
        if pay.next_threshold is None:
            percent = 100
        else:
            low = rungs[pay.rung].threshold
            percent = int((max(pay.revenue - low, 0) * 100) / (pay.next_threshold - low))
        result.append(Accrual(program, period.label, cents, pay, max(0, min(percent, 100)), rungs,
                              elig.category_ids))
    return result


def dashboard_panel(actor) -> list[Accrual] | None:
    """The first screen's "earnings" panel: the partner's accruals (None for people without rebates)."""
    if actor.partner_id is None or not actor.can(Permission.VIEW_REBATES):
        return None
    return accruals(actor, utcnow().date())
