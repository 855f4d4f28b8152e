"""The tier review: quarterly (a periodic job) and on demand (with progress), then an admin's confirmation.

A review measures every partner that is not terminated at one moment (``measured_at``): revenue for all
of them in one statement, certified people in one call (``portal.partners.tiers``), then writes the
proposals (promote / demote / hold, with the evidence) in chunks, committing its progress after each
so the page can show it. Running it again (a retry) starts it over; a finished review is left alone.
When a review finishes, older reviews' unconfirmed proposals are superseded by it.

Confirming a change moves the partner to the new tier (only if its tier is still the one the review
saw), audits it, e-mails the partner's people and shows it on their partnership page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.catalogue.models import Tier
from portal.core import audit, queue
from portal.core.errors import Conflict, Forbidden, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.partners import tiers
from portal.partners.models import Partner, PartnerStatus, TierChange, TierReview

CHUNK = 200
DIRECTION_LABELS = {"promote": _l("Promotion"), "demote": _l("Demotion"),
                    "hold": _l("Waiting for a measure")}
STATUS_LABELS = {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}
CHANGE_LABELS = {"proposed": _l("Waiting for confirmation"), "confirmed": _l("Confirmed"),
                 "dismissed": _l("Dismissed"), "superseded": _l("Superseded by a later review")}


def _allowed(actor) -> None:
    if not actor.can(Permission.MANAGE_TIERS):
        raise Forbidden(_("You do not have permission to do that."))


def quarter_of(at: datetime) -> str:
    return f"{at.year}-Q{(at.month - 1) // 3 + 1}"


# --- starting one ----------------------------------------------------------------------------------------

def start(actor) -> TierReview:
    """An admin asks for a review now: queued, run by a worker after the commit. One at a time."""
    _allowed(actor)
    running = db.session.scalar(select(TierReview).where(TierReview.status.in_(("queued", "running")))
                                .order_by(TierReview.id.desc()).limit(1))
    if running is not None:
        raise Conflict(_("A tier review is already running."))
    review = TierReview(kind="on_demand", status="queued", started_by=actor.id, created_at=utcnow())
    db.session.add(review)
    db.session.flush()
    audit.record(actor, "tier_review.started", review, summary=f"#{review.id}")
    queue.enqueue_after_commit(db.session, "jobs.partners.run_tier_review", review.id)
    return review


def ensure_quarterly(now: datetime | None = None) -> TierReview | None:
    """The quarter's scheduled review, created on the first call of the quarter (None when it exists):
    the daily periodic job calls this, so the review runs once at the start of each quarter."""
    now = now or utcnow()
    period = quarter_of(now)
    if db.session.scalar(select(TierReview.id).where(TierReview.kind == "scheduled", TierReview.period == period)):
        return None
    try:
        with db.session.begin_nested():
            review = TierReview(kind="scheduled", period=period, status="queued", created_at=now)
            db.session.add(review)
    except IntegrityError:  # another worker made it just now (unique kind + period)
        return None
    return review


# --- running it ------------------------------------------------------------------------------------------

def run(review_id: int, checkpoint: Callable[[], None] = lambda: None, now: datetime | None = None) -> TierReview:
    """Measure every partner and write the proposals; ``checkpoint`` (the job's commit) after each chunk."""
    review = db.session.get(TierReview, review_id)
    if review is None or review.status == "done":
        return review
    at = now or utcnow()
    db.session.execute(TierChange.__table__.delete().where(TierChange.review_id == review.id))
    partners = db.session.execute(select(Partner.id, Partner.tier_id).where(
        Partner.status != PartnerStatus.TERMINATED).order_by(Partner.id)).all()
    review.status, review.measured_at, review.error = "running", at, ""
    review.total, review.processed = len(partners), 0
    ladder = tiers.ladder()
    revenue = tiers.trailing_revenue_cents(at)
    certified = tiers.certified_people([p.id for p in partners], at)
    checkpoint()
    for start_at in range(0, len(partners), CHUNK):
        rows = []
        for partner_id, tier_id in partners[start_at:start_at + CHUNK]:
            earned = revenue.get(partner_id, 0)
            people = None if certified is None else certified.get(partner_id, 0)
            proposal = tiers.propose(ladder, tier_id, earned, people)
            if proposal is None:
                continue
            rows.append({"review_id": review.id, "partner_id": partner_id, "from_tier_id": tier_id,
                         "to_tier_id": proposal.to_tier.id if proposal.to_tier else None,
                         "direction": proposal.direction, "revenue_cents": earned, "certified": people,
                         "evidence": tiers.evidence(proposal, earned, people), "status": "proposed"})
        if rows:
            db.session.execute(TierChange.__table__.insert(), rows)
        review.processed = min(start_at + CHUNK, len(partners))
        checkpoint()
    db.session.execute(update(TierChange).where(TierChange.review_id != review.id, TierChange.status == "proposed")
                       .values(status="superseded").execution_options(synchronize_session=False))
    review.status, review.finished_at = "done", utcnow()
    db.session.flush()
    return review


def fail(review_id: int, error: Exception) -> None:
    """Mark a review failed (after the job's rollback), so the page stops showing progress."""
    db.session.execute(update(TierReview).where(TierReview.id == review_id)
                       .values(status="failed", error=f"{type(error).__name__}: {error}"[:300]))


# --- reading ---------------------------------------------------------------------------------------------

def reviews(actor):
    _allowed(actor)
    return select(TierReview).order_by(TierReview.created_at.desc(), TierReview.id.desc())


def get(actor, review_id: int) -> TierReview:
    _allowed(actor)
    review = db.session.get(TierReview, review_id)
    if review is None:
        raise NotFound(_("Tier review not found."))
    return review


def changes(actor, review_id: int, direction: str = ""):
    """The review's proposals with their partner and both tiers' names (a statement to paginate)."""
    _allowed(actor)
    old, new = Tier.__table__.alias("old_tier"), Tier.__table__.alias("new_tier")
    stmt = (select(TierChange, Partner.name.label("partner_name"), old.c.name.label("from_name"),
                   new.c.name.label("to_name"))
            .join(Partner, Partner.id == TierChange.partner_id)
            .outerjoin(old, old.c.id == TierChange.from_tier_id).outerjoin(new, new.c.id == TierChange.to_tier_id)
            .where(TierChange.review_id == review_id))
    if direction in DIRECTION_LABELS:
        stmt = stmt.where(TierChange.direction == direction)
    return stmt.order_by(TierChange.direction, Partner.name, TierChange.id)


def waiting_count(actor) -> int:
    """Changes waiting for an admin's confirmation (the dashboard)."""
    return db.session.scalar(select(func.count()).select_from(TierChange).where(
        TierChange.status == "proposed", TierChange.direction != "hold")) or 0


# --- deciding --------------------------------------------------------------------------------------------

def _tier_name(tier_id: int | None) -> str | None:
    tier = db.session.get(Tier, tier_id) if tier_id else None
    return tier.name if tier else None


def _change(actor, change_id: int) -> TierChange:
    _allowed(actor)
    change = db.session.get(TierChange, change_id)
    if change is None:
        raise NotFound(_("Tier change not found."))
    return change


def _decide(actor, change: TierChange, status: str) -> None:
    """Claim a proposed change for ``status`` (one conditional UPDATE: two admins cannot both decide it)."""
    claimed = db.session.execute(update(TierChange).where(TierChange.id == change.id, TierChange.status == "proposed")
                                 .values(status=status, decided_by=actor.id, decided_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict(_("This change was already decided."))
    db.session.refresh(change)


def confirm(actor, change_id: int) -> TierChange:
    """Move the partner to the proposed tier; audited, e-mailed and shown to the partner."""
    change = _change(actor, change_id)
    partner = db.session.get(Partner, change.partner_id)
    if change.status != "proposed" or change.direction == "hold":
        raise Conflict(_("This change cannot be confirmed: it is %(status)s.",
                         status=str(CHANGE_LABELS.get(change.status, change.status)).lower()
                         if change.direction != "hold" else _("waiting for a measure")))
    if partner.tier_id != change.from_tier_id:
        raise Conflict(_("%(partner)s changed tier since the review; run a new review.", partner=partner.name))
    _decide(actor, change, "confirmed")
    before, after = _tier_name(change.from_tier_id), _tier_name(change.to_tier_id)
    partner.tier_id = change.to_tier_id
    audit.record(actor, "partner.tier_changed", partner, partner_id=partner.id, before={"tier": before},
                 after={"tier": after, "direction": change.direction, "review": change.review_id,
                        "revenue_cents": change.revenue_cents, "certified": change.certified},
                 summary=f"{partner.name}: {before or '—'} → {after or '—'}")
    _tell_partner(partner, change, before, after)
    return change


def _tell_partner(partner: Partner, change: TierChange, before: str | None, after: str | None) -> None:
    from portal.accounts.models import User

    people = list(db.session.scalars(select(User).where(
        User.partner_id == partner.id, User.active.is_(True), User.password_hash.is_not(None))))
    notify(f"tier-change:{change.id}", people, "tier_changed", link="/partnership",
           partner_name=partner.name, before=before, after=after, direction=change.direction)


def confirm_all(actor, review_id: int) -> tuple[int, int]:
    """Confirm every promotion and demotion still waiting in a review: (confirmed, skipped because the
    partner's tier changed since)."""
    review = get(actor, review_id)
    if review.status != "done":
        raise Conflict(_("The review has not finished yet."))
    ids = list(db.session.scalars(select(TierChange.id).where(
        TierChange.review_id == review.id, TierChange.status == "proposed", TierChange.direction != "hold")
        .order_by(TierChange.id)))
    confirmed = skipped = 0
    for change_id in ids:
        try:
            with db.session.begin_nested():
                confirm(actor, change_id)
            confirmed += 1
        except Conflict:
            skipped += 1
    return confirmed, skipped


def dismiss(actor, change_id: int) -> TierChange:
    change = _change(actor, change_id)
    _decide(actor, change, "dismissed")
    audit.record(actor, "partner.tier_change_dismissed", change, partner_id=change.partner_id,
                 after={"direction": change.direction, "to_tier": _tier_name(change.to_tier_id)})
    return change


def history(partner_id: int, limit: int = 10) -> list[tuple[TierChange, str | None, str | None]]:
    """A partner's confirmed tier changes, newest first, with both tiers' names (shown to the partner)."""
    old, new = Tier.__table__.alias("old_tier"), Tier.__table__.alias("new_tier")
    rows = db.session.execute(
        select(TierChange, old.c.name, new.c.name).outerjoin(old, old.c.id == TierChange.from_tier_id)
        .outerjoin(new, new.c.id == TierChange.to_tier_id)
        .where(TierChange.partner_id == partner_id, TierChange.status == "confirmed")
        .order_by(TierChange.decided_at.desc(), TierChange.id.desc()).limit(limit)).all()
    return [(change, before, after) for change, before, after in rows]
