"""Tiers: their requirements, the measures they are checked against, the rule, and a partner's progress.

A partner qualifies for a tier when its trailing-12-month revenue reaches the tier's minimum AND it has
at least the tier's minimum of currently certified people. Both bounds are inclusive.

The measures come from other areas, each through ONE function here:
- ``revenue_cents``: delivered order lines minus accepted return credits (orders area), set-based;
- ``certified_people``: the enablement area's count of people holding a certification valid at the time
  (``portal.training.service.certified_people``: issued <= at < expires, not revoked, active people).
  A requirement that is not measured (None) never passes silently: it is shown as not measured, it
  blocks a promotion that needs it, and it never causes a demotion by itself (see ``assess`` / ``propose``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, union_all

from portal.catalogue.admin import parse_discount
from portal.catalogue.models import Tier
from portal.core import audit
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.money import parse_amount_text
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders.models import Credit, Order, OrderLine
from portal.partners.service import clean_text

TRAILING = timedelta(days=365)
MAX_RANK = 1000
MAX_CERTIFIED = 100_000
FIELDS = ["name", "rank", "discount_bp", "min_revenue_cents", "min_certified"]


# --- the measures (one function per input) ---------------------------------------------------------------

def revenue_cents(start: datetime, end: datetime, partner_ids: list[int] | None = None) -> dict[int, int]:
    """Per partner: net revenue in [start, end) — order lines of orders delivered in the window minus the
    credits of returns accepted in the window — in one statement for all partners (or ``partner_ids``).
    Partners with neither are absent (0)."""
    lines = (select(Order.partner_id.label("partner_id"), OrderLine.line_total_cents.label("amount"))
             .join(OrderLine, OrderLine.order_id == Order.id)
             .where(Order.delivered_at >= start, Order.delivered_at < end))
    credits = select(Credit.partner_id.label("partner_id"), (-Credit.total_cents).label("amount")).where(
        Credit.created_at >= start, Credit.created_at < end)
    if partner_ids is not None:
        if not partner_ids:
            return {}
        lines = lines.where(Order.partner_id.in_(partner_ids))
        credits = credits.where(Credit.partner_id.in_(partner_ids))
    both = union_all(lines, credits).subquery()
    rows = db.session.execute(select(both.c.partner_id, func.sum(both.c.amount)).group_by(both.c.partner_id))
    return {partner_id: int(total or 0) for partner_id, total in rows}


def trailing_revenue_cents(at: datetime, partner_ids: list[int] | None = None) -> dict[int, int]:
    """Revenue of the 12 months (365 days) before ``at``."""
    return revenue_cents(at - TRAILING, at, partner_ids)


def certified_people(partner_ids: list[int], at: datetime) -> dict[int, int] | None:
    """Per partner: active people holding a certification valid at ``at`` (enablement's count; a partner
    missing from it has 0). Expired and revoked certificates do not count."""
    from portal.training import service as training

    return training.certified_people(partner_ids, at)


# --- the rule --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    kind: str  # "revenue" | "certified"
    needed: int
    actual: int | None  # None: not measured

    @property
    def met(self) -> bool | None:
        """True or False, or None when it needs a measure the portal does not have."""
        if self.needed <= 0:
            return True
        if self.actual is None:
            return None
        return self.actual >= self.needed

    @property
    def shortfall(self) -> int | None:
        if self.met is None:
            return None
        return max(self.needed - self.actual, 0) if self.actual is not None else 0


@dataclass(frozen=True)
class Assessment:
    tier: Tier
    requirements: tuple[Requirement, ...]

    @property
    def status(self) -> str:
        """met (every requirement measured and met), failed (a measured one is not met) or unknown."""
        results = [r.met for r in self.requirements]
        if False in results:
            return "failed"
        return "unknown" if None in results else "met"


def assess(tier: Tier, revenue: int, certified: int | None) -> Assessment:
    return Assessment(tier, (Requirement("revenue", tier.min_revenue_cents, revenue),
                             Requirement("certified", tier.min_certified, certified)))


@dataclass(frozen=True)
class Proposal:
    direction: str  # promote | demote | hold (a higher tier waits for a measure the portal lacks)
    to_tier: Tier | None
    assessments: tuple[Assessment, ...]


def propose(ladder: list[Tier], current_id: int | None, revenue: int, certified: int | None) -> Proposal | None:
    """What the review proposes for one partner, or None (it stays). ``ladder``: every tier, by rank.

    - Its tier has a measured requirement it misses → demote to the highest lower tier it does not
      fail (a requirement that is not measured gets the benefit of the doubt here).
    - Otherwise, the highest tier whose requirements are all measured and met is above its tier → promote.
    - Otherwise, a higher tier it would reach but for an unmeasured requirement → hold (listed, not
      confirmable), so a missing measure is visible rather than silently passed.
    """
    assessments = tuple(assess(t, revenue, certified) for t in ladder)
    by_id = {a.tier.id: a for a in assessments}
    current = by_id.get(current_id)
    rank = current.tier.rank if current else None
    if current is not None and current.status == "failed":
        lower = [a for a in assessments if a.tier.rank < rank and a.status != "failed"]
        target = lower[-1].tier if lower else None
        if target is None and ladder and ladder[0].rank < rank:
            target = ladder[0]
        return Proposal("demote", target, assessments) if target is not None else None
    met = [a for a in assessments if a.status == "met"]
    if met and (rank is None or met[-1].tier.rank > rank):
        return Proposal("promote", met[-1].tier, assessments)
    floor = max(rank if rank is not None else -1, met[-1].tier.rank if met else -1)
    waiting = [a for a in assessments if a.status == "unknown" and a.tier.rank > floor]
    if waiting:
        return Proposal("hold", waiting[-1].tier, assessments)
    return None


def evidence(proposal: Proposal, revenue: int, certified: int | None) -> dict:
    """The review's evidence, as kept on the change (JSON): the measures and each tier's requirements."""
    return {"revenue_cents": revenue, "certified": certified,
            "tiers": [{"tier": a.tier.name, "rank": a.tier.rank, "status": a.status,
                       "min_revenue_cents": a.tier.min_revenue_cents, "min_certified": a.tier.min_certified}
                      for a in proposal.assessments]}


# --- configuration (admins) ----------------------------------------------------------------------------------

def ladder() -> list[Tier]:
    return list(db.session.scalars(select(Tier).order_by(Tier.rank, Tier.id)))


def _whole(data: dict, name: str, top: int, errors: dict, message: str) -> int:
    raw = str(data.get(name) if data.get(name) is not None else "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(top)) or int(raw) > top:
        errors[name] = [message]
        return 0
    return int(raw)


def save_tier(actor, data: dict, tier_id: int | None = None) -> Tier:
    """Create or change a tier: name, order (rank, higher is better), catalogue discount, minimum
    trailing-12-month revenue and minimum currently certified people. Audited."""
    if not actor.can(Permission.MANAGE_TIERS):
        raise Forbidden(_("You do not have permission to do that."))
    tier = db.session.get(Tier, tier_id) if tier_id else None
    if tier_id and tier is None:
        raise NotFound(_("Tier not found."))
    errors: dict[str, list[str]] = {}
    name, problem = clean_text(data.get("name"), 60)
    if problem or not name:
        errors["name"] = [problem or _("Name the tier.")]
    elif (clash := db.session.scalar(select(Tier.id).where(Tier.name == name))) and clash != tier_id:
        errors["name"] = [_("Another tier has this name.")]
    rank = _whole(data, "rank", MAX_RANK, errors, _("Enter a whole number from 0 to %(n)s.", n=MAX_RANK))
    if "rank" not in errors and (clash := db.session.scalar(select(Tier.id).where(Tier.rank == rank))) \
            and clash != tier_id:
        errors["rank"] = [_("Another tier has this place in the order.")]
    try:
        discount_bp = parse_discount(data.get("discount"))
    except ValueError as exc:
        errors["discount"] = [str(exc)]
    try:
        min_revenue = parse_amount_text(data.get("min_revenue"), "250,000.00")
    except ValueError as exc:
        errors["min_revenue"] = [str(exc)]
    min_certified = _whole(data, "min_certified", MAX_CERTIFIED, errors,
                           _("Enter a whole number from 0 to %(n)s.", n=MAX_CERTIFIED))
    if errors:
        raise Invalid(errors)
    before = audit.snapshot(tier, FIELDS) if tier else None
    if tier is None:
        tier = Tier()
        db.session.add(tier)
    tier.name, tier.rank, tier.discount_bp = name, rank, discount_bp
    tier.min_revenue_cents, tier.min_certified = min_revenue, min_certified
    db.session.flush()
    audit.record(actor, "tier.created" if before is None else "tier.updated", tier, before=before,
                 after=audit.snapshot(tier, FIELDS), summary=tier.name)
    return tier


# --- a partner's progress ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    tier: Tier | None
    next_tier: Tier | None
    revenue_cents: int
    certified: int | None
    next_requirements: tuple[Requirement, ...]
    measured_at: datetime

    @property
    def qualifies_for_next(self) -> bool:
        return bool(self.next_requirements) and all(r.met for r in self.next_requirements)


def progress(partner, at: datetime | None = None, tiers: list[Tier] | None = None) -> Progress:
    """The partner's tier, the next one up and how far it is: revenue still needed, certified people still
    needed (or "not yet measured"). Two queries: the tiers and the partner's revenue."""
    at = at or utcnow()
    tiers = ladder() if tiers is None else tiers
    current = next((t for t in tiers if t.id == partner.tier_id), None)
    above = [t for t in tiers if current is None or t.rank > current.rank]
    next_tier = above[0] if above else None
    revenue = trailing_revenue_cents(at, [partner.id]).get(partner.id, 0)
    counted = certified_people([partner.id], at)
    certified = None if counted is None else counted.get(partner.id, 0)
    requirements = assess(next_tier, revenue, certified).requirements if next_tier else ()
    return Progress(current, next_tier, revenue, certified, requirements, at)
