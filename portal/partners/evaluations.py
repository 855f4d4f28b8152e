"""Quarterly evaluations: KPIs the portal computes, the channel manager's ratings and improvement plan.

draft (the manager edits; the KPIs can be recomputed) → shared (frozen; the partner's people are
e-mailed) → acknowledged (by a partner admin). Partner users see shared and acknowledged ones only.

KPIs (a snapshot kept with the evaluation, exact; percentages rounded half-up to 0.1 once):
- revenue in the quarter (``tiers.revenue_cents``: delivered lines minus accepted credits) vs the quarter's
  share of the agreement's annual target (¼, half-up to the cent);
- growth vs the previous quarter's revenue (none when that was 0);
- average order processing time, submitted → shipped, of the quarter's orders (whole seconds, half-up);
- certified people (``tiers.certified_people``), deal win rate (``deal_win_rate``, from ``portal.deals``), MDF
  ROI (``mdf_roi``): each from ONE function of this area, None ("not yet measured") until its area is part of
  the portal (certified people are measured by enablement: people holding a valid certificate at the quarter's
  end).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit, money
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.orders.models import Order
from portal.partners import agreements, tiers
from portal.partners.models import Evaluation, EvaluationAction, Partner
from portal.partners.service import clean_text, get_partner, partner_scope

NOTES_MAX = 4000
ACTION_MAX = 300
MAX_ACTIONS = 10
STATUS_LABELS = {"draft": _l("Draft"), "shared": _l("Shared with the partner"), "acknowledged": _l("Acknowledged")}
# what the partner's people read (they never see drafts)
PARTNER_LABELS = {"shared": _l("Waiting for your acknowledgement"), "acknowledged": _l("Acknowledged")}
RATINGS = ("customer_satisfaction", "marketing_participation")


# --- quarters and KPIs ------------------------------------------------------------------------------------

def quarter_start(year: int, quarter: int) -> datetime:
    return datetime(year, 3 * (quarter - 1) + 1, 1, tzinfo=UTC)


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def current_quarter(now: datetime | None = None) -> tuple[int, int]:
    now = now or utcnow()
    return now.year, (now.month - 1) // 3 + 1


def recent_quarters(count: int = 8, now: datetime | None = None) -> list[tuple[int, int]]:
    """The current quarter and the ones before it, newest first (the new evaluation's choices)."""
    out = [current_quarter(now)]
    while len(out) < count:
        out.append(previous_quarter(*out[-1]))
    return out


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, rounded half-up to 0.1; None without a whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def deal_win_rate(partner_ids: list[int], start: datetime, end: datetime) -> dict[int, Decimal] | None:
    """Per partner: deals won ÷ deals closed (won + lost) in [start, end), in percent (partners that closed
    none are left out: no rate)."""
    from portal.deals.review import win_counts

    return {pid: rate for pid, (won, lost) in win_counts(partner_ids, start, end).items()
            if (rate := percent(won, won + lost)) is not None}


def mdf_roi(partner_ids: list[int], start: datetime, end: datetime) -> dict[int, Decimal] | None:
    """Per partner: the MDF return on investment of the claims paid in [start, end), in percent —
    (revenue the partner attributed to them − reimbursement paid) ÷ reimbursement paid × 100, half-up to 0.1
    once (``mdf.requests.roi``). Partners without a paid claim in the period are absent ("not measured")."""
    from portal.mdf.requests import roi

    return roi(partner_ids, start, end)


def processing_seconds(partner_ids: list[int], start: datetime, end: datetime) -> dict[int, int]:
    """Per partner: average seconds from submission to shipping of orders placed in [start, end)."""
    rows = db.session.execute(select(Order.partner_id, func.avg(Order.shipping_seconds)).where(
        Order.partner_id.in_(partner_ids), Order.created_at >= start, Order.created_at < end,
        Order.shipping_seconds.is_not(None)).group_by(Order.partner_id))
    return {pid: int(Decimal(str(avg)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for pid, avg in rows
            if avg is not None}


def _plain(value) -> str | None:
    return None if value is None else str(value)


def compute_kpis(partner_id: int, year: int, quarter: int) -> dict:
    """The quarter's KPIs as JSON-safe values (cents and seconds as ints, percentages as decimal text)."""
    start, end = quarter_start(year, quarter), quarter_start(*next_quarter(year, quarter))
    prev_start = quarter_start(*previous_quarter(year, quarter))
    revenue = tiers.revenue_cents(start, end, [partner_id]).get(partner_id, 0)
    previous = tiers.revenue_cents(prev_start, start, [partner_id]).get(partner_id, 0)
    # the agreement in force on the quarter's last day
    annual = agreements.annual_target_on([partner_id], end.date() - timedelta(days=1)).get(partner_id)
    target = money.apply_rate(annual, Decimal("0.25")) if annual else None
    certified = tiers.certified_people([partner_id], end)
    wins, roi = deal_win_rate([partner_id], start, end), mdf_roi([partner_id], start, end)
    return {
        "revenue_cents": revenue, "previous_revenue_cents": previous, "target_cents": target,
        "revenue_vs_target": _plain(percent(revenue, target) if target else None),
        "growth": _plain(percent(revenue - previous, previous)),
        "processing_seconds": processing_seconds([partner_id], start, end).get(partner_id),
        "certified": None if certified is None else certified.get(partner_id, 0),
        "deal_win_rate": None if wins is None else _plain(wins.get(partner_id)),
        "mdf_roi": None if roi is None else _plain(roi.get(partner_id)),
        "measured": {"certified": certified is not None, "deal_win_rate": wins is not None,
                     "mdf_roi": roi is not None},
    }


# --- reading ----------------------------------------------------------------------------------------------

def _visible(actor):
    if actor.can(Permission.WRITE_EVALUATIONS):
        return select(Evaluation).where(partner_scope(actor, Evaluation.partner_id))
    if actor.can(Permission.VIEW_PARTNERSHIP):  # the partner's people: what was shared with them
        return select(Evaluation).where(partner_scope(actor, Evaluation.partner_id),
                                        Evaluation.status != "draft")
    raise Forbidden(_("You do not have permission to do that."))


def for_partner(actor, partner_id: int) -> list[Evaluation]:
    """A partner's evaluations, newest quarter first (its history)."""
    return list(db.session.scalars(_visible(actor).where(Evaluation.partner_id == partner_id)
                                   .order_by(Evaluation.year.desc(), Evaluation.quarter.desc())))


def get(actor, evaluation_id: int) -> Evaluation:
    evaluation = db.session.scalar(_visible(actor).where(Evaluation.id == evaluation_id))
    if evaluation is None:
        raise NotFound(_("Evaluation not found."))
    return evaluation


def actions_of(evaluation: Evaluation) -> list[EvaluationAction]:
    return list(db.session.scalars(select(EvaluationAction).where(EvaluationAction.evaluation_id == evaluation.id)
                                   .order_by(EvaluationAction.position, EvaluationAction.id)))


def waiting_acknowledgement(actor) -> int:
    """Shared evaluations the actor's company has not acknowledged yet (the partner dashboard)."""
    if actor.partner_id is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Evaluation).where(
        Evaluation.partner_id == actor.partner_id, Evaluation.status == "shared")) or 0


# --- writing ----------------------------------------------------------------------------------------------

def _writer(actor, evaluation: Evaluation | None = None) -> None:
    if not actor.can(Permission.WRITE_EVALUATIONS):
        raise Forbidden(_("You do not have permission to do that."))
    if evaluation is not None and evaluation.status != "draft":
        raise Conflict(_("This evaluation was shared with the partner; it can no longer be changed."))


def create(actor, partner_id: int, period: str) -> Evaluation:
    """Start a draft for a partner and quarter (``period`` "2026-3"), with its KPIs computed now."""
    _writer(actor)
    partner = get_partner(actor, partner_id)
    year_text, _sep, quarter_text = (period or "").partition("-")
    choices = recent_quarters()
    if not (year_text.isdigit() and quarter_text.isdigit()) or (int(year_text), int(quarter_text)) not in choices:
        raise Invalid({"period": [_("Choose one of the quarters offered.")]})
    year, quarter = int(year_text), int(quarter_text)
    evaluation = Evaluation(partner_id=partner.id, year=year, quarter=quarter, status="draft",
                            kpis=compute_kpis(partner.id, year, quarter), created_by=actor.id, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(evaluation)
    except IntegrityError:
        raise Conflict(_("%(partner)s already has an evaluation for %(year)s Q%(quarter)s.", partner=partner.name,
                         year=year, quarter=quarter)) from None
    audit.record(actor, "evaluation.created", evaluation, partner_id=partner.id,
                 after={"year": year, "quarter": quarter}, summary=f"{partner.name} {year} Q{quarter}")
    return evaluation


def _rating(data: dict, name: str, errors: dict) -> int | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        return None
    if raw not in {"1", "2", "3", "4", "5"}:
        errors[name] = [_("Rate from 1 to 5.")]
        return None
    return int(raw)


def _actions(rows: list[dict], errors: dict) -> list[tuple[str, date]]:
    kept = []
    for i, row in enumerate(rows):
        text, problem = clean_text(row.get("description"), ACTION_MAX)
        raw_due = str(row.get("due_on") or "").strip()
        if not text and not raw_due:
            continue
        if problem or not text:
            errors[f"action-{i}"] = [problem or _("Describe the action.")]
        due = None
        try:
            due = date.fromisoformat(raw_due) if len(raw_due) == 10 else None
        except ValueError:
            pass
        if due is None or not agreements.EARLIEST <= due <= agreements.LATEST:
            errors[f"due-{i}"] = [_("Enter a date between %(first)s and %(last)s.",
                                    first=agreements.EARLIEST.isoformat(), last=agreements.LATEST.isoformat())]
        kept.append((text, due))
    if len(kept) > MAX_ACTIONS:
        errors["actions"] = [_("At most %(n)s actions.", n=MAX_ACTIONS)]
    return kept


def save(actor, evaluation_id: int, data: dict, actions: list[dict]) -> Evaluation:
    """Change a draft's ratings (1–5 or empty), improvement notes and plan (actions with due dates)."""
    evaluation = get(actor, evaluation_id)
    _writer(actor, evaluation)
    errors: dict[str, list[str]] = {}
    ratings = {name: _rating(data, name, errors) for name in RATINGS}
    notes, problem = clean_text(data.get("notes"), NOTES_MAX, multiline=True)
    if problem:
        errors["notes"] = [problem]
    plan = _actions(actions, errors)
    if errors:
        raise Invalid(errors)
    evaluation.customer_satisfaction = ratings["customer_satisfaction"]
    evaluation.marketing_participation = ratings["marketing_participation"]
    evaluation.notes = notes
    db.session.execute(EvaluationAction.__table__.delete().where(EvaluationAction.evaluation_id == evaluation.id))
    db.session.add_all(EvaluationAction(evaluation_id=evaluation.id, description=text, due_on=due, position=i)
                       for i, (text, due) in enumerate(plan, start=1))
    evaluation.updated_at = utcnow()
    db.session.flush()
    return evaluation


def refresh_kpis(actor, evaluation_id: int) -> Evaluation:
    evaluation = get(actor, evaluation_id)
    _writer(actor, evaluation)
    evaluation.kpis = compute_kpis(evaluation.partner_id, evaluation.year, evaluation.quarter)
    db.session.flush()
    return evaluation


def share(actor, evaluation_id: int) -> Evaluation:
    """Freeze the draft and e-mail it to the partner's people; both ratings are needed."""
    from portal.accounts.models import User

    evaluation = get(actor, evaluation_id)
    _writer(actor, evaluation)
    missing = {name: [_("Rate from 1 to 5 before sharing.")] for name in RATINGS if getattr(evaluation, name) is None}
    if missing:
        raise Invalid(missing)
    _move(evaluation, "draft", "shared", shared_at=utcnow())
    partner = db.session.get(Partner, evaluation.partner_id)
    audit.record(actor, "evaluation.shared", evaluation, partner_id=partner.id, before={"status": "draft"},
                 after={"status": "shared"}, summary=f"{partner.name} {evaluation.year} Q{evaluation.quarter}")
    people = list(db.session.scalars(select(User).where(User.partner_id == partner.id, User.active.is_(True),
                                                        User.password_hash.is_not(None))))
    notify(f"evaluation-shared:{evaluation.id}", people, "evaluation_shared",
           link=f"/partnership/evaluations/{evaluation.id}", partner_name=partner.name, year=evaluation.year,
           quarter=evaluation.quarter)
    return evaluation


def acknowledge(actor, evaluation_id: int) -> Evaluation:
    """A partner admin acknowledges a shared evaluation of their company (its author hears of it)."""
    from portal.accounts.models import User

    if not actor.can(Permission.ACKNOWLEDGE_EVALUATIONS):
        raise Forbidden(_("You do not have permission to do that."))
    evaluation = get(actor, evaluation_id)
    if evaluation.status != "shared":
        raise Conflict(_("This evaluation was already acknowledged."))
    _move(evaluation, "shared", "acknowledged", acknowledged_at=utcnow(), acknowledged_by=actor.id)
    partner = db.session.get(Partner, evaluation.partner_id)
    audit.record(actor, "evaluation.acknowledged", evaluation, partner_id=partner.id, before={"status": "shared"},
                 after={"status": "acknowledged"}, summary=f"{partner.name} {evaluation.year} Q{evaluation.quarter}")
    author = db.session.get(User, evaluation.created_by) if evaluation.created_by else None
    if author is not None and author.active:
        notify(f"evaluation-acknowledged:{evaluation.id}", [author], "evaluation_acknowledged", email=False,
               link=f"/partners/{partner.id}/evaluations/{evaluation.id}", partner_name=partner.name,
               year=evaluation.year, quarter=evaluation.quarter, person=actor.name)
    return evaluation


def _move(evaluation: Evaluation, from_status: str, to_status: str, **values) -> None:
    claimed = db.session.execute(
        update(Evaluation).where(Evaluation.id == evaluation.id, Evaluation.status == from_status)
        .values(status=to_status, **values).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(evaluation)
    if claimed != 1:
        raise Conflict(_("Someone else changed this evaluation just now; reload the page."))
