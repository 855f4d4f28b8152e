"""Requests for market development funds, from the partner's request to the payment of its claim.

submitted → approved (≤ requested, ≤ the budget's remaining; a lower amount allowed) | rejected (with reason)
approved → claimed (amount spent ≤ approved, results, proof-of-performance files) → reimbursed (≤ approved, ≤
claimed) → paid (reference, date). An approval not claimed by its ``claim_due_on`` (the period's end + the
lapse setting, default 60 days) lapses: the daily job ``jobs.mdf.lapse_unclaimed``; its amount returns to
the budget. Every decision is audited and told to the other side (``notify``).

Two approvals of one budget never overspend it: the approval locks the budget row (``FOR UPDATE`` on
PostgreSQL; SQLite's writers queue on ``BEGIN IMMEDIATE``) before it reads what remains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.core import audit, money
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import LATEST_DAY, parse_day, utcnow
from portal.extensions import db
from portal.mdf import service
from portal.mdf.models import MdfBudget, MdfRequest
from portal.notifications.service import notify
from portal.orders.models import Setting
from portal.partners.models import Partner
from portal.partners.service import clean_text, partner_scope, require_trading

ACTIVITIES = {
    "event": _l("Event or trade show"), "digital": _l("Digital advertising"), "print": _l("Print advertising"),
    "webinar": _l("Webinar"), "training": _l("Sales training"), "collateral": _l("Marketing collateral"),
    "other": _l("Other"),
}
STATUS_LABELS = {
    "submitted": _l("Waiting for a decision"), "approved": _l("Approved: claim it"), "rejected": _l("Rejected"),
    "claimed": _l("Claim waiting for a decision"), "reimbursed": _l("Claim approved: to be paid"),
    "paid": _l("Paid"), "lapsed": _l("Lapsed (not claimed)"),
}
WAITING_FOR_VENDOR = ("submitted", "claimed", "reimbursed")
TITLE_MAX, TEXT_MAX, REASON_MAX, REFERENCE_MAX = 160, 4000, 1000, 80
LAPSE_DAYS_KEY = "mdf_lapse_days"
DEFAULT_LAPSE_DAYS = 60
MAX_LAPSE_DAYS = 366
MAX_COUNT = 10_000_000


# --- the lapse setting --------------------------------------------------------------------------------------

def lapse_days() -> int:
    row = db.session.get(Setting, LAPSE_DAYS_KEY)
    return int(row.value) if row is not None else DEFAULT_LAPSE_DAYS


def set_lapse_days(actor, text: str | None) -> int:
    """Admins set how many days after its quarter an unclaimed approval lapses (0–366), audited. Approvals
    already given keep the claim date they were given."""
    if not actor.can(Permission.MANAGE_MDF_BUDGETS):
        raise Forbidden(_("You do not have permission to do that."))
    raw = (text or "").strip()
    if not raw.isdigit() or int(raw) > MAX_LAPSE_DAYS:
        raise Invalid({"lapse_days": [_("Enter a whole number of days from 0 to %(n)s.", n=MAX_LAPSE_DAYS)]})
    days, before = int(raw), lapse_days()
    if days != before:
        row = db.session.get(Setting, LAPSE_DAYS_KEY)
        if row is None:
            row = Setting(key=LAPSE_DAYS_KEY, value=str(days))
            db.session.add(row)
        row.value = str(days)
        db.session.flush()
        audit.record(actor, "settings.mdf_lapse_days_changed", row, before={LAPSE_DAYS_KEY: before},
                     after={LAPSE_DAYS_KEY: days}, summary="MDF lapse days")
    return days


def claim_due_on(period: service.Period) -> date:
    return service.period_end(period) + timedelta(days=lapse_days())


# --- reading ------------------------------------------------------------------------------------------------

def visible(actor):
    """The requests ``actor`` may see: their company's, a manager's partners', every one for admins."""
    service.viewer(actor)
    return select(MdfRequest).where(partner_scope(actor, MdfRequest.partner_id))


def get(actor, request_id: int) -> MdfRequest:
    found = db.session.scalar(visible(actor).where(MdfRequest.id == request_id))
    if found is None:
        raise NotFound(_("MDF request not found."))
    return found


@dataclass(frozen=True)
class Filters:
    status: str = ""
    partner_id: int | None = None
    period: service.Period | None = None


def list_page(actor, filters: Filters, page: int, size: int = 25):
    """Requests as rows (request, partner name), waiting ones for vendor staff first by age, else newest."""
    from portal.core.pagination import paginate

    stmt = select(MdfRequest, Partner.name).join(Partner, Partner.id == MdfRequest.partner_id).where(
        partner_scope(actor, MdfRequest.partner_id))
    service.viewer(actor)
    if filters.status in STATUS_LABELS:
        stmt = stmt.where(MdfRequest.status == filters.status)
    if filters.partner_id:
        stmt = stmt.where(MdfRequest.partner_id == filters.partner_id)
    if filters.period:
        stmt = stmt.where(MdfRequest.year == filters.period[0], MdfRequest.quarter == filters.period[1])
    if filters.status in WAITING_FOR_VENDOR:
        stmt = stmt.order_by(MdfRequest.created_at, MdfRequest.id)
    else:
        stmt = stmt.order_by(MdfRequest.created_at.desc(), MdfRequest.id.desc())
    return paginate(stmt, page, size, scalars=False)


# --- the partner: requesting ------------------------------------------------------------------------------

def _requester(actor) -> None:
    if not actor.can(Permission.REQUEST_MDF) or actor.partner_id is None:
        raise Forbidden(_("You do not have permission to do that."))
    require_trading(actor)


def _day(values: dict, name: str, errors: dict) -> date | None:
    try:
        day = parse_day(values.get(name))
    except ValueError as exc:
        errors[name] = [str(exc)]
        return None
    if day is None:
        errors[name] = [_("Enter a date.")]
    return day


def _amount(values: dict, name: str, errors: dict, example: str = "5,000.00") -> int | None:
    try:
        cents = money.parse_amount_text(values.get(name), example)
    except ValueError as exc:
        errors[name] = [str(exc)]
        return None
    if cents <= 0:
        errors[name] = [_("Enter an amount above zero.")]
        return None
    if cents > service.MAX_BUDGET_CENTS:
        errors[name] = [_("That amount is too large.")]
        return None
    return cents


def request_funds(actor, values: dict) -> MdfRequest:
    """A partner asks for funds for an activity; its quarter's budget (the quarter the activity starts in)
    must have the amount remaining. Nothing is reserved until a decision."""
    _requester(actor)
    errors: dict[str, list[str]] = {}
    activity = str(values.get("activity") or "")
    if activity not in ACTIVITIES:
        errors["activity"] = [_("Choose an activity type.")]
    title, problem = clean_text(values.get("title"), TITLE_MAX)
    if problem or not title:
        errors["title"] = [problem or _("Name the activity.")]
    description, problem = clean_text(values.get("description"), TEXT_MAX, multiline=True)
    if problem or not description:
        errors["description"] = [problem or _("Describe the activity and its audience.")]
    starts, ends = _day(values, "starts_on", errors), _day(values, "ends_on", errors)
    if starts and ends and ends < starts:
        errors["ends_on"] = [_("The end cannot be before the start.")]
    amount = _amount(values, "amount", errors)
    budget, figures = None, None
    if starts:
        period = service.quarter_of(starts)
        budget = db.session.scalar(select(MdfBudget).where(
            MdfBudget.partner_id == actor.partner_id, MdfBudget.year == period[0], MdfBudget.quarter == period[1]))
        if budget is None or budget.amount_cents == 0:
            errors["starts_on"] = [_("There is no MDF budget for %(year)s Q%(quarter)s, the quarter this activity "
                                     "starts in.", year=period[0], quarter=period[1])]
        else:
            figures = service.figures([actor.partner_id], [period])[(actor.partner_id, *period)][0]
            if amount is not None and amount > figures.remaining:
                errors["amount"] = [_("At most %(amount)s remains in the %(year)s Q%(quarter)s budget.",
                                      amount=money.from_cents(max(figures.remaining, 0)), year=period[0],
                                      quarter=period[1])]
    if errors:
        raise Invalid(errors)
    row = MdfRequest(partner_id=actor.partner_id, year=budget.year, quarter=budget.quarter, activity=activity,
                     title=title, description=description, starts_on=starts, ends_on=ends,
                     currency=budget.currency, requested_cents=amount, status="submitted", created_by=actor.id,
                     created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    partner = db.session.get(Partner, actor.partner_id)
    audit.record(actor, "mdf.requested", row, partner_id=partner.id, after=_state(row),
                 summary=f"{partner.name}: {title}")
    _tell_vendor(row, partner, "requested")
    return row


# --- vendor decisions ---------------------------------------------------------------------------------------

def _decider(actor) -> None:
    if not actor.can(Permission.DECIDE_MDF):
        raise Forbidden(_("You do not have permission to do that."))


def _state(row: MdfRequest) -> dict:
    return audit.snapshot(row, ["status", "requested_cents", "approved_cents", "reimbursed_cents", "reason",
                                "payment_reference", "paid_on"])


def _locked_budget(row: MdfRequest) -> MdfBudget | None:
    """The request's budget row, locked until the transaction ends (PostgreSQL): approvals of one budget queue."""
    return db.session.scalar(select(MdfBudget).where(
        MdfBudget.partner_id == row.partner_id, MdfBudget.year == row.year, MdfBudget.quarter == row.quarter)
        .with_for_update())


def _move(row: MdfRequest, from_status: str, **values) -> None:
    """Change the request only if it is still in ``from_status`` (two deciders: one wins, one is told)."""
    done = db.session.execute(update(MdfRequest).where(MdfRequest.id == row.id, MdfRequest.status == from_status)
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    if done != 1:
        raise Conflict(_("Someone else decided this request just now; reload the page."))


def approve(actor, request_id: int, amount_text: str | None) -> MdfRequest:
    """Approve a waiting request for its amount or less, within what its budget has remaining."""
    _decider(actor)
    row = get(actor, request_id)
    if row.status != "submitted":
        raise Conflict(_("This request was already decided."))
    errors: dict[str, list[str]] = {}
    amount = _amount({"amount": amount_text}, "amount", errors)
    if amount is not None and amount > row.requested_cents:
        errors["amount"] = [_("Approve at most the amount requested (%(amount)s).",
                              amount=money.from_cents(row.requested_cents))]
    if errors:
        raise Invalid(errors)
    budget = _locked_budget(row)
    figures = service.figures([row.partner_id], [(row.year, row.quarter)]).get((row.partner_id, row.year,
                                                                                 row.quarter))
    remaining = figures[0].remaining if budget is not None and figures else 0
    if amount > remaining:
        raise Invalid({"amount": [_("Only %(amount)s remains in the %(year)s Q%(quarter)s budget.",
                                    amount=money.from_cents(max(remaining, 0)), year=row.year,
                                    quarter=row.quarter)]})
    before = _state(row)
    _move(row, "submitted", status="approved", approved_cents=amount, decided_by=actor.id, decided_at=utcnow(),
          claim_due_on=claim_due_on((row.year, row.quarter)))
    _decided(actor, row, "mdf.approved", before, "approved")
    return row


def reject(actor, request_id: int, reason: str | None) -> MdfRequest:
    """Reject a waiting request, saying why."""
    _decider(actor)
    row = get(actor, request_id)
    if row.status != "submitted":
        raise Conflict(_("This request was already decided."))
    text, problem = clean_text(reason, REASON_MAX, multiline=True)
    if problem or not text:
        raise Invalid({"reason": [problem or _("Say why the request is rejected.")]})
    before = _state(row)
    _move(row, "submitted", status="rejected", reason=text, decided_by=actor.id, decided_at=utcnow())
    _decided(actor, row, "mdf.rejected", before, "rejected")
    return row


def approve_claim(actor, request_id: int, amount_text: str | None) -> MdfRequest:
    """Approve a claim for a reimbursement of at most the approved amount and at most the amount claimed;
    what is not reimbursed returns to the budget."""
    _decider(actor)
    row = get(actor, request_id)
    if row.status != "claimed":
        raise Conflict(_("There is no claim waiting for a decision."))
    errors: dict[str, list[str]] = {}
    amount = _amount({"reimburse": amount_text}, "reimburse", errors)
    limit = min(row.approved_cents or 0, row.claimed_cents or 0)
    if amount is not None and amount > limit:
        errors["reimburse"] = [_("Reimburse at most %(amount)s (the approved and the claimed amount).",
                                 amount=money.from_cents(limit))]
    if errors:
        raise Invalid(errors)
    before = _state(row)
    _move(row, "claimed", status="reimbursed", reimbursed_cents=amount, claim_decided_by=actor.id,
          claim_decided_at=utcnow())
    _decided(actor, row, "mdf.claim_approved", before, "reimbursed")
    return row


def pay(actor, request_id: int, reference: str | None, paid_on_text: str | None) -> MdfRequest:
    """Record the payment of an approved claim: the payment reference and the day it was paid."""
    _decider(actor)
    row = get(actor, request_id)
    if row.status != "reimbursed":
        raise Conflict(_("Only an approved claim can be paid."))
    errors: dict[str, list[str]] = {}
    text, problem = clean_text(reference, REFERENCE_MAX)
    if problem or not text:
        errors["reference"] = [problem or _("Enter the payment reference.")]
    day = _day({"paid_on": paid_on_text}, "paid_on", errors)
    if day is not None and (day > utcnow().date() + timedelta(days=1) or day > LATEST_DAY):
        errors["paid_on"] = [_("The payment day cannot be in the future.")]
    if errors:
        raise Invalid(errors)
    before = _state(row)
    _move(row, "reimbursed", status="paid", payment_reference=text, paid_on=day, paid_at=utcnow())
    _decided(actor, row, "mdf.paid", before, "paid")
    return row


def _decided(actor, row: MdfRequest, action: str, before: dict, event: str) -> None:
    partner = db.session.get(Partner, row.partner_id)
    audit.record(actor, action, row, partner_id=partner.id, before=before, after=_state(row),
                 summary=f"{partner.name}: {row.title}")
    _tell_partner(row, partner, event)


# --- the partner: claiming ----------------------------------------------------------------------------------

def _count(values: dict, name: str, errors: dict) -> int | None:
    raw = str(values.get(name) or "").strip().replace(",", "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_COUNT:
        errors[name] = [_("Enter a whole number from 0 to %(n)s.", n=format_number(MAX_COUNT))]
        return None
    return int(raw)


def _optional_amount(values: dict, name: str, errors: dict) -> int | None:
    if not str(values.get(name) or "").strip():
        return None
    try:
        return money.parse_amount_text(values.get(name), "20,000.00")
    except ValueError as exc:
        errors[name] = [str(exc)]
        return None


def check_claim(actor, request_id: int, values: dict) -> tuple[MdfRequest, dict]:
    """The claim's values when it may be made (else Invalid / Conflict): an approved request of the actor's
    company, before its claim date; spent amount ≤ approved; results are optional whole numbers / amounts."""
    _requester(actor)
    row = get(actor, request_id)
    if row.status != "approved":
        raise Conflict(_("Only an approved request can be claimed."))
    errors: dict[str, list[str]] = {}
    amount = _amount(values, "claimed", errors)
    if amount is not None and amount > (row.approved_cents or 0):
        errors["claimed"] = [_("Claim at most the approved amount (%(amount)s).",
                               amount=money.from_cents(row.approved_cents or 0))]
    leads = _count(values, "leads", errors)
    pipeline = _optional_amount(values, "pipeline", errors)
    revenue = _optional_amount(values, "revenue", errors)
    notes, problem = clean_text(values.get("notes"), TEXT_MAX, multiline=True)
    if problem:
        errors["notes"] = [problem]
    if errors:
        raise Invalid(errors)
    return row, {"claimed_cents": amount, "leads": leads, "pipeline_cents": pipeline, "revenue_cents": revenue,
                 "claim_notes": notes}


def claim(actor, request_id: int, values: dict) -> MdfRequest:
    """Submit the claim (the proof files are stored by ``proofs.attach`` in the same transaction)."""
    row, clean = check_claim(actor, request_id, values)
    before = _state(row)
    _move(row, "approved", status="claimed", claimed_by=actor.id, claimed_at=utcnow(), **clean)
    partner = db.session.get(Partner, row.partner_id)
    audit.record(actor, "mdf.claimed", row, partner_id=partner.id, before=before,
                 after=_state(row) | {"claimed_cents": row.claimed_cents}, summary=f"{partner.name}: {row.title}")
    _tell_vendor(row, partner, "claimed")
    return row


# --- lapsing (the daily job) ------------------------------------------------------------------------------

def lapse_unclaimed(today: date | None = None) -> int:
    """Approved requests not claimed by their claim date lapse (their amount returns to the budget). Safe to run
    twice: a lapsed request is no longer approved."""
    today = today or utcnow().date()
    rows = list(db.session.scalars(select(MdfRequest).where(MdfRequest.status == "approved",
                                                            MdfRequest.claim_due_on < today)))
    for row in rows:
        before = _state(row)
        done = db.session.execute(update(MdfRequest).where(MdfRequest.id == row.id, MdfRequest.status == "approved")
                                  .values(status="lapsed", lapsed_at=utcnow())
                                  .execution_options(synchronize_session=False)).rowcount
        if done != 1:
            continue
        db.session.refresh(row)
        partner = db.session.get(Partner, row.partner_id)
        audit.record(None, "mdf.lapsed", row, partner_id=partner.id, before=before, after=_state(row),
                     summary=f"{partner.name}: {row.title}")
        _tell_partner(row, partner, "lapsed")
    db.session.flush()
    return len(rows)


# --- who hears of what --------------------------------------------------------------------------------------

def _tell_partner(row: MdfRequest, partner: Partner, event: str) -> None:
    from portal.accounts.models import User

    people = list(db.session.scalars(select(User).where(
        User.partner_id == partner.id, User.active.is_(True), User.password_hash.is_not(None),
        User.role == "partner_admin")))
    notify(f"mdf-{event}:{row.id}", people, "mdf_status", link=f"/mdf/requests/{row.id}", event=event,
           request=row, partner_name=partner.name)


def _tell_vendor(row: MdfRequest, partner: Partner, event: str) -> None:
    from portal.accounts.models import User

    people = []
    if partner.channel_manager_id:
        manager = db.session.get(User, partner.channel_manager_id)
        if manager is not None and manager.active:
            people.append(manager)
    notify(f"mdf-{event}:{row.id}", people, "mdf_status", link=f"/mdf/requests/{row.id}", event=event,
           request=row, partner_name=partner.name)


# --- waiting work (dashboard) and results (evaluations) --------------------------------------------------------

def waiting(actor, statuses: tuple[str, ...]):
    """(count, oldest waiting since) of the actor's visible requests in ``statuses``."""
    since = func.min(func.coalesce(MdfRequest.claimed_at, MdfRequest.created_at)) if "claimed" in statuses \
        else func.min(MdfRequest.created_at)
    return db.session.execute(select(func.count(), since).where(
        partner_scope(actor, MdfRequest.partner_id), MdfRequest.status.in_(statuses))).one()


def roi(partner_ids: list[int], start, end) -> dict[int, object]:
    """Per partner: (attributed revenue − paid reimbursement) ÷ paid reimbursement × 100, over the claims paid
    in [start, end) (``paid_at``), rounded half-up to 0.1 once; partners without paid claims are absent."""
    from decimal import ROUND_HALF_UP, Decimal

    if not partner_ids:
        return {}
    rows = db.session.execute(select(MdfRequest.partner_id, func.sum(MdfRequest.revenue_cents),
                                     func.sum(MdfRequest.reimbursed_cents))
                              .where(MdfRequest.partner_id.in_(partner_ids), MdfRequest.status == "paid",
                                     MdfRequest.paid_at >= start, MdfRequest.paid_at < end)
                              .group_by(MdfRequest.partner_id))
    out = {}
    for pid, revenue, paid in rows:
        revenue, paid = int(revenue or 0), int(paid or 0)  # numeric on PostgreSQL
        if not paid:
            continue  # nothing was spent: no return on it to measure
        out[pid] = ((Decimal(revenue) - Decimal(paid)) * 100 / Decimal(paid)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)
    return out
