"""Partner lifecycle jobs: the tier review (on demand and quarterly)."""

from __future__ import annotations

from jobs.base import task
from portal.extensions import db
from portal.partners import tier_review


@task
def run_tier_review(review_id: int) -> str | None:
    """Run one tier review, committing its progress after each chunk of partners so the review page can
    show it. A failure marks the review failed (and RQ retries the job, which starts it over)."""
    try:
        review = tier_review.run(review_id, checkpoint=db.session.commit)
    except Exception as exc:
        db.session.rollback()
        tier_review.fail(review_id, exc)
        db.session.commit()
        raise
    return review.status if review is not None else None


@task
def quarterly_tier_review() -> int | None:
    """Daily: at the start of each quarter, create that quarter's review and run it (once per quarter)."""
    review = tier_review.ensure_quarterly()
    if review is None:
        return None
    db.session.commit()
    run_tier_review(review.id)
    return review.id
