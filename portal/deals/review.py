"""The vendor's side: the review queue with each registration's possible conflicts side by side; approve
(protection starts), reject with a reason, or approve the earliest and reject the others in one action.
The daily job (expiry, reminders 14 and 7 days before, the conflict-rate KPI), releasing a terminated
partner's open registrations, and the deal KPIs other areas read (win rate, conflict rate).

Reviewers are admins (every partner) and channel managers (their partners: ``partner_scope``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.pagination import Page, paginate
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.deals import settings as deal_settings
from portal.deals.models import Deal, DealKpi
from portal.deals.service import (
    REASON_MAX,
    Found,
    claim,
    find_conflicts,
    keys_of,
    open_clause,
    record,
    status_label,
)
from portal.extensions import db
from portal.partners.models import Partner
from portal.partners.service import clean_text, partner_scope

REMINDER_DAYS = (14, 7)


def _check(actor) -> None:
    if not actor.can(Permission.REVIEW_DEALS):
        raise Forbidden(_("You do not have permission to do that."))


def get(actor, deal_id: int) -> Deal:
    _check(actor)
    deal = db.session.scalar(select(Deal).where(Deal.id == deal_id, partner_scope(actor, Deal.partner_id)))
    if deal is None:
        raise NotFound(_("Deal registration not found."))
    return deal


QUEUE_COLUMNS = (Deal.id, Deal.customer_name, Deal.customer_domain, Deal.created_at, Deal.status,
                 Deal.estimated_value_cents, Deal.currency, Deal.had_conflict, Partner.name.label("partner_name"))


def queue_page(actor, status: str, number: int, size: int = 25) -> Page:
    """Registrations in the reviewer's scope with ``status`` (default: waiting), oldest first."""
    _check(actor)
    status = status if status in ("submitted", "approved", "rejected", "won", "lost", "expired", "withdrawn",
                                  "released") else "submitted"
    stmt = (select(*QUEUE_COLUMNS).join(Partner, Partner.id == Deal.partner_id)
            .where(Deal.status == status, partner_scope(actor, Deal.partner_id))
            .order_by(Deal.created_at, Deal.id))
    return paginate(stmt, number, size, scalars=False)


@dataclass(frozen=True)
class Side:
    """One registration of a conflict, as the reviewer sees it side by side."""

    deal: Deal
    partner_name: str
    reason: str  # matching.SAME_* ("" for the registration under review)
    score: int
    in_scope: bool  # the reviewer may decide on it


def conflicts(actor, deal: Deal, now: datetime | None = None) -> list[Side]:
    """The open registrations for the same customer as ``deal`` (any partner), earliest first, with why."""
    found = find_conflicts(keys_of(deal), deal_settings.current().threshold, exclude_id=deal.id, now=now)
    return _sides(actor, found)


def _sides(actor, found: list[Found]) -> list[Side]:
    if not found:
        return []
    by_id = {f.deal_id: f for f in found}
    scope = partner_scope(actor, Deal.partner_id)
    rows = db.session.execute(select(Deal, Partner.name, scope).join(Partner, Partner.id == Deal.partner_id)
                              .where(Deal.id.in_(by_id)).order_by(Deal.created_at, Deal.id)).all()
    return [Side(deal, name, by_id[deal.id].match.reason, by_id[deal.id].match.score, bool(mine))
            for deal, name, mine in rows]


def partner_name(deal: Deal) -> str:
    return db.session.scalar(select(Partner.name).where(Partner.id == deal.partner_id)) or ""


# --- decisions -------------------------------------------------------------------------------------------------

def approve(actor, deal_id: int, now: datetime | None = None) -> Deal:
    """Approve a waiting registration: its protection starts now (the protection days setting). Refused while
    another registration for the same customer is protected (one protected deal per customer)."""
    deal = get(actor, deal_id)
    now = now or utcnow()
    if deal.status != "submitted":
        raise Conflict(_("Deal %(number)s is %(status)s; only registrations under review can be decided.",
                         number=deal.number, status=status_label(deal.status).lower()))
    if any(side.deal.status == "approved" for side in conflicts(actor, deal, now)):
        raise Conflict(_("Another registration for this customer is protected; reject this one instead."))
    days = deal_settings.current().protection_days
    claim(deal, ("submitted",), status="approved", decided_at=now, decided_by=actor.id,
          protection_ends_at=now + timedelta(days=days))
    record(actor, deal, "submitted", "approved", tell=True, days=days)
    return deal


def reject(actor, deal_id: int, reason: str, now: datetime | None = None) -> Deal:
    deal = get(actor, deal_id)
    reason, problem = clean_text(reason, REASON_MAX, multiline=True)
    if problem or not reason:
        raise Invalid({"reason": [problem or _("Give the partner a reason.")]})
    if deal.status != "submitted":
        raise Conflict(_("Deal %(number)s is %(status)s; only registrations under review can be decided.",
                         number=deal.number, status=status_label(deal.status).lower()))
    claim(deal, ("submitted",), status="rejected", reason=reason, decided_at=now or utcnow(), decided_by=actor.id)
    record(actor, deal, "submitted", "rejected", reason, tell=True)
    return deal


def resolve(actor, deal_id: int) -> Deal:
    """The default rule in one action: of ``deal`` and its open conflicts, the earliest registration wins (an
    already protected one stays the winner); the other waiting ones are rejected. Every registration involved
    must be in the reviewer's scope. Returns the winner."""
    deal = get(actor, deal_id)
    now = utcnow()
    group = _group(actor, deal, now)
    if not group:
        raise Conflict(_("Deal %(number)s has no conflicting registration.", number=deal.number))
    if not all(side.in_scope for side in group):
        raise Forbidden(_("Some of these registrations belong to partners you do not manage; an admin decides."))
    everyone = sorted([deal, *(side.deal for side in group)], key=lambda d: (d.created_at, d.id))
    protected = [d for d in everyone if d.status == "approved"]
    winner = protected[0] if protected else everyone[0]
    if winner.status == "submitted":
        approve(actor, winner.id, now)
    reason = _("Another partner registered this customer earlier.")
    for other in everyone:
        if other.id != winner.id and other.status == "submitted":
            reject(actor, other.id, reason, now)
    return winner


def _group(actor, deal: Deal, now: datetime, limit: int = 50) -> list[Side]:
    """The registrations conflicting with ``deal``, and those conflicting with them (up to ``limit``): "Huawei"
    at huawei.com and "華為技術" match through "华为技术有限公司" at huawei.com."""
    seen: dict[int, Side] = {}
    todo = [deal]
    while todo and len(seen) < limit:
        for side in conflicts(actor, todo.pop(), now):
            if side.deal.id != deal.id and side.deal.id not in seen:
                seen[side.deal.id] = side
                todo.append(side.deal)
    return list(seen.values())


# --- the daily job: reminders, expiry, the KPI; releasing a terminated partner's deals ------------------------

def send_reminders(now: datetime | None = None) -> int:
    """A reminder 14 and 7 days before protection ends, once each (the event key names the end date, so an
    extended deal is reminded again before its new end). Returns how many deals were reminded."""
    now = now or utcnow()
    sent = 0
    for days in REMINDER_DAYS:
        column = Deal.reminded_14_at if days == 14 else Deal.reminded_7_at
        due = db.session.scalars(select(Deal).where(
            Deal.status == "approved", Deal.protection_ends_at > now,
            Deal.protection_ends_at <= now + timedelta(days=days), column.is_(None)).order_by(Deal.id))
        for deal in due:
            left = (deal.protection_ends_at - now).days
            if days == 14 and left < 7:  # past the 14-day mark already: the 7-day reminder says it
                deal.reminded_14_at = now
                continue
            from portal.deals.service import involved
            from portal.notifications.service import notify

            notify(f"deal:{deal.id}:reminder-{days}:{deal.protection_ends_at:%Y%m%d}", involved(deal), "deal_status",
                   link=f"/deals/{deal.id}", deal=deal, event="reminder", partner_name="", reason="", days=left)
            setattr(deal, "reminded_14_at" if days == 14 else "reminded_7_at", now)
            sent += 1
    db.session.flush()
    return sent


def expire_due(now: datetime | None = None) -> int:
    """Approved registrations past their protection end become expired (each told once)."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Deal.id).where(Deal.status == "approved", Deal.protection_ends_at <= now)
                                  .order_by(Deal.id)))
    for deal_id in ids:
        deal = db.session.get(Deal, deal_id)
        claim(deal, ("approved",), status="expired", closed_at=now)
        record(None, deal, "approved", "expired", tell=True)
    return len(ids)


def release_partner(actor, partner_id: int) -> int:
    """A terminated partner's open registrations are released: they no longer block other partners."""
    now = utcnow()
    deals = list(db.session.scalars(select(Deal).where(Deal.partner_id == partner_id, open_clause(now))))
    for deal in deals:
        before = deal.status
        claim(deal, (before,), status="released", closed_at=now, reason=_("The partner was terminated."))
        record(actor, deal, before, "released", deal.reason)
    return len(deals)


def store_kpis(today: date, days: int = 2) -> None:
    """The conflict-rate KPI of the last ``days`` days (registrations, with a conflict), stored per day."""
    for offset in range(days):
        day = today - timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=utcnow().tzinfo)
        total, conflicted = db.session.execute(select(func.count(), func.coalesce(func.sum(case(
            (Deal.had_conflict.is_(True), 1), else_=0)), 0)).where(
            Deal.created_at >= start, Deal.created_at < start + timedelta(days=1))).one()
        row = db.session.get(DealKpi, day)
        if row is None:
            db.session.add(DealKpi(day=day, registrations=total, with_conflict=conflicted))
        else:
            row.registrations, row.with_conflict = total, conflicted
    db.session.flush()


def conflict_rate(start: date, end: date) -> tuple[int, int, Decimal | None]:
    """(registrations, with a conflict, percent) over the stored days in [start, end)."""
    from portal.partners.evaluations import percent

    total, conflicted = db.session.execute(select(func.coalesce(func.sum(DealKpi.registrations), 0),
                                                  func.coalesce(func.sum(DealKpi.with_conflict), 0))
                                           .where(DealKpi.day >= start, DealKpi.day < end)).one()
    return total, conflicted, percent(conflicted, total)


def win_counts(partner_ids: list[int], start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """Per partner: (won, lost) registrations closed in [start, end)."""
    rows = db.session.execute(select(Deal.partner_id, func.sum(case((Deal.status == "won", 1), else_=0)),
                                     func.sum(case((Deal.status == "lost", 1), else_=0)))
                              .where(Deal.partner_id.in_(partner_ids), Deal.status.in_(("won", "lost")),
                                     Deal.closed_at >= start, Deal.closed_at < end).group_by(Deal.partner_id))
    return {pid: (int(won or 0), int(lost or 0)) for pid, won, lost in rows}
