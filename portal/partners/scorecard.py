"""The application scorecard: criteria configured by admins, one review per reviewer, and its arithmetic.

The arithmetic is exact and rounds once:
- each criterion has a whole-number weight; the active criteria's weights sum to 100;
- a reviewer scores every criterion 1–5; a criterion's points are ``weight × score / 5``;
- a reviewer's weighted total is the sum of the points, 0–100 (20 when everything scores 1, 100 when
  everything scores 5). With whole weights it is always a multiple of 0.2, so it is kept exactly in
  tenths: ``2 × Σ weight × score``;
- the application's score is the mean of its reviewers' totals, rounded half-up to one decimal
  (``ROUND_HALF_UP``, the only rounding), kept in tenths on the application for sorting and filtering.

A review keeps the name and weight each criterion had when it was scored: changing the criteria later
does not change a past review's total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.core import audit
from portal.core.errors import Conflict, Forbidden, Invalid
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import (
    OPEN_APPLICATION,
    Application,
    ApplicationReview,
    ApplicationScore,
    ApplicationStatus,
    ScorecardCriterion,
)
from portal.partners.service import clean_text

MIN_SCORE, MAX_SCORE = 1, 5
TOTAL_WEIGHT = 100
MAX_CRITERIA = 12
COMMENT_MAX = 2000
TENTH = Decimal("0.1")


# --- arithmetic ----------------------------------------------------------------------------------------

def total_tenths(weighted_scores: list[tuple[int, int]]) -> int:
    """A reviewer's weighted total in tenths from (weight, score) pairs: 2 × Σ weight × score (exact)."""
    return 2 * sum(weight * score for weight, score in weighted_scores)


def points_tenths(weight: int, score: int) -> int:
    """One criterion's share of the total, in tenths: weight × score / 5."""
    return 2 * weight * score


def average_tenths(totals: list[int]) -> int | None:
    """The mean of reviewers' totals (in tenths), rounded half-up to a whole tenth; None without reviews."""
    if not totals:
        return None
    return int((Decimal(sum(totals)) / len(totals)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def as_score(tenths: int | None) -> Decimal | None:
    """Tenths as the 0–100 score people read (723 → 72.3)."""
    return None if tenths is None else (Decimal(tenths) / 10).quantize(TENTH)


# --- criteria ------------------------------------------------------------------------------------------

def criteria() -> list[ScorecardCriterion]:
    """The active criteria in their order."""
    return list(db.session.scalars(select(ScorecardCriterion).where(ScorecardCriterion.active.is_(True))
                                   .order_by(ScorecardCriterion.position, ScorecardCriterion.id)))


def _allowed(actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise Forbidden(_("You do not have permission to do that."))


def _weight(text, errors: dict, name: str) -> int | None:
    raw = str(text if text is not None else "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or not 1 <= int(raw) <= TOTAL_WEIGHT:
        errors[name] = [_("Enter a whole number from 1 to 100.")]
        return None
    return int(raw)


def save_criteria(actor, rows: list[dict]) -> list[ScorecardCriterion]:
    """Replace the scorecard's criteria: ``rows`` are {id (or None for a new one), name, weight, remove}
    in the order shown. Kept rows need a name and a weight 1–100, names differ, the weights sum to 100.
    A removed criterion is deactivated (past reviews keep their scores). Audited as one change."""
    _allowed(actor, Permission.DECIDE_APPLICATIONS)
    current = {c.id: c for c in criteria()}
    errors: dict[str, list[str]] = {}
    kept: list[tuple[ScorecardCriterion | None, str, int]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.get("remove"):
            continue
        name, problem = clean_text(row.get("name"), 80)
        weight_text = str(row.get("weight") or "").strip()
        if row.get("id") is None and not name and not weight_text:
            continue  # an empty "new criterion" row
        if problem or not name:
            errors[f"name-{i}"] = [problem or _("Name the criterion.")]
        elif name.casefold() in seen:
            errors[f"name-{i}"] = [_("Two criteria have this name.")]
        seen.add(name.casefold())
        weight = _weight(weight_text, errors, f"weight-{i}")
        existing = current.get(row.get("id")) if row.get("id") is not None else None
        if row.get("id") is not None and existing is None:
            errors[f"name-{i}"] = [_("This criterion was removed meanwhile; reload the page.")]
        kept.append((existing, name, weight or 0))
    if not kept:
        errors["criteria"] = [_("Keep at least one criterion.")]
    elif len(kept) > MAX_CRITERIA:
        errors["criteria"] = [_("At most %(n)s criteria.", n=MAX_CRITERIA)]
    elif not errors and (total := sum(w for _c, _n, w in kept)) != TOTAL_WEIGHT:
        errors["criteria"] = [_("The weights add up to %(total)s; they must add up to 100.", total=total)]
    if errors:
        raise Invalid(errors)
    before = [{"name": c.name, "weight": c.weight} for c in current.values()]
    kept_ids = {c.id for c, _n, _w in kept if c is not None}
    for criterion in current.values():
        if criterion.id not in kept_ids:
            criterion.active = False
    saved = []
    for position, (criterion, name, weight) in enumerate(kept, start=1):
        if criterion is None:
            criterion = ScorecardCriterion(active=True)
            db.session.add(criterion)
        criterion.name, criterion.weight, criterion.position = name, weight, position
        saved.append(criterion)
    db.session.flush()
    after = [{"name": c.name, "weight": c.weight} for c in saved]
    if after != before:
        audit.record(actor, "scorecard.changed", saved[0], before={"criteria": before}, after={"criteria": after},
                     summary=", ".join(f"{c['name']} {c['weight']}" for c in after))
    return saved


# --- reviews -------------------------------------------------------------------------------------------

def score(actor, application: Application, scores: dict, comment: str) -> ApplicationReview:
    """Save ``actor``'s scorecard for an open application (a second time replaces their first): a score
    1–5 for every active criterion (``scores``: criterion id → text). Updates the application's average
    and moves it to "in review"."""
    _allowed(actor, Permission.REVIEW_APPLICATIONS)
    if application.status not in OPEN_APPLICATION:
        raise Conflict(_("Application %(number)s is already decided.", number=application.number))
    errors: dict[str, list[str]] = {}
    wanted: list[tuple[ScorecardCriterion, int]] = []
    for criterion in criteria():
        raw = str(scores.get(criterion.id, scores.get(str(criterion.id), "")) or "").strip()
        if raw not in {str(n) for n in range(MIN_SCORE, MAX_SCORE + 1)}:
            errors[f"score-{criterion.id}"] = [_("Score %(name)s from 1 to 5.", name=criterion.name)]
        else:
            wanted.append((criterion, int(raw)))
    comment, problem = clean_text(comment, COMMENT_MAX, multiline=True)
    if problem:
        errors["comment"] = [problem]
    if errors:
        raise Invalid(errors)
    review = db.session.scalar(select(ApplicationReview).where(ApplicationReview.application_id == application.id,
                                                               ApplicationReview.reviewer_id == actor.id))
    before = None
    if review is None:
        review = ApplicationReview(application_id=application.id, reviewer_id=actor.id, total_tenths=0)
        db.session.add(review)
        db.session.flush()
    else:
        before = {"total": str(as_score(review.total_tenths))}
        db.session.execute(ApplicationScore.__table__.delete().where(ApplicationScore.review_id == review.id))
    db.session.add_all(ApplicationScore(review_id=review.id, criterion_id=c.id, criterion_name=c.name,
                                        weight=c.weight, score=s, position=c.position) for c, s in wanted)
    review.total_tenths = total_tenths([(c.weight, s) for c, s in wanted])
    review.comment = comment
    review.updated_at = utcnow()
    db.session.flush()
    _refresh_average(application)
    audit.record(actor, "application.scored", application, before=before,
                 after={"total": str(as_score(review.total_tenths)),
                        "scores": {c.name: s for c, s in wanted}},
                 summary=f"{application.number} {application.company}")
    return review


def _refresh_average(application: Application) -> None:
    totals = list(db.session.scalars(select(ApplicationReview.total_tenths)
                                     .where(ApplicationReview.application_id == application.id)))
    values = {"score_tenths": average_tenths(totals), "review_count": len(totals)}
    if application.status == ApplicationStatus.NEW:
        values["status"] = ApplicationStatus.IN_REVIEW
    # conditional: a decision that landed meanwhile is not undone
    db.session.execute(update(Application).where(Application.id == application.id,
                                                 Application.status.in_(OPEN_APPLICATION))
                       .values(**values).execution_options(synchronize_session=False))
    db.session.refresh(application)


@dataclass
class ReviewView:
    reviewer_name: str
    reviewer_id: int
    total: Decimal
    comment: str
    scores: dict[str, int]  # criterion name → score
    updated_at: object = None


@dataclass
class Breakdown:
    """Each reviewer's scores and total, the criteria (name, weight) they used, and the average."""

    columns: list[tuple[str, int]] = field(default_factory=list)
    reviews: list[ReviewView] = field(default_factory=list)
    average: Decimal | None = None
    criterion_averages: dict[str, Decimal] = field(default_factory=dict)

    def mine(self, user_id: int) -> ReviewView | None:
        return next((r for r in self.reviews if r.reviewer_id == user_id), None)


def breakdown(application: Application) -> Breakdown:
    """The application's scorecards, two queries: reviews with their reviewers, then their scores."""
    from portal.accounts.models import User

    rows = db.session.execute(select(ApplicationReview, User.name).join(User, User.id == ApplicationReview.reviewer_id)
                              .where(ApplicationReview.application_id == application.id)
                              .order_by(ApplicationReview.created_at, ApplicationReview.id)).all()
    result = Breakdown()
    if not rows:
        return result
    views = {review.id: ReviewView(name, review.reviewer_id, as_score(review.total_tenths), review.comment, {},
                                   review.updated_at) for review, name in rows}
    columns: dict[str, tuple[int, int]] = {}  # name → (position, weight)
    sums: dict[str, list[int]] = {}
    for row in db.session.execute(select(ApplicationScore).where(ApplicationScore.review_id.in_(list(views)))
                                  .order_by(ApplicationScore.position, ApplicationScore.id)).scalars():
        views[row.review_id].scores[row.criterion_name] = row.score
        columns.setdefault(row.criterion_name, (row.position, row.weight))
        sums.setdefault(row.criterion_name, []).append(row.score)
    result.columns = [(name, weight) for name, (_pos, weight) in sorted(columns.items(), key=lambda kv: kv[1][0])]
    result.reviews = list(views.values())
    result.average = as_score(average_tenths([review.total_tenths for review, _name in rows]))
    result.criterion_averages = {name: (Decimal(sum(v)) / len(v)).quantize(TENTH, rounding=ROUND_HALF_UP)
                                 for name, v in sums.items()}
    return result
