"""The partner lifecycle's demo data: applications in every state scored by two reviewers, agreements (one
ending soon), tier requirements, an evaluation waiting for acknowledgement — once, however often it runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import demo
from portal.catalogue.models import Tier
from portal.core.time import utcnow
from portal.partners import applications
from portal.partners import demo as lifecycle_demo
from portal.partners.models import Agreement, Application, ApplicationReview, Evaluation, Partner
from tests.unit.test_demo_seed import small_volume  # noqa: F401  (fixture)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.pg
def test_the_demo_has_applications_in_every_state_scored_by_two_reviewers_once(db):
    demo.seed("small")
    demo.seed("small")
    statuses = dict(db.session.execute(select(Application.status, func.count()).group_by(Application.status)).all())
    assert statuses == {"new": 1, "in_review": 2, "approved": 1, "rejected": 1}
    for application in db.session.scalars(select(Application).where(Application.status != "new")):
        assert count(db, ApplicationReview, ApplicationReview.application_id == application.id) == 2
        assert application.review_count == 2 and application.score_tenths is not None
    nordic = db.session.scalar(select(Application).where(Application.company.like("Northwind Trading Nordic%")))
    [duplicate] = applications.duplicates_of([nordic])[nordic.id]
    assert (duplicate.kind, duplicate.label) == ("partner", "Northwind Trading")


@pytest.mark.pg
def test_the_demo_partners_have_agreements_and_northwinds_ends_within_60_days(db):
    demo.seed("small")
    demo.seed("small")
    northwind = db.session.scalar(select(Partner).where(Partner.name == "Northwind Trading"))
    agreements = db.session.scalars(select(Agreement).where(Agreement.partner_id == northwind.id)
                                    .order_by(Agreement.starts_on)).all()
    assert [a.renewed for a in agreements] == [True, False]
    assert agreements[1].previous_id == agreements[0].id
    assert utcnow().date() < agreements[1].ends_on <= utcnow().date() + timedelta(days=60)
    assert count(db, Agreement) == 3
    tiers = {t.name: (t.min_revenue_cents, t.min_certified) for t in db.session.scalars(select(Tier))}
    assert tiers == lifecycle_demo.TIER_REQUIREMENTS
    [evaluation] = db.session.scalars(select(Evaluation)).all()
    assert (evaluation.partner_id, evaluation.status) == (northwind.id, "shared")


def test_the_large_seed_adds_agreements_and_scored_applications_once(db, small_volume, monkeypatch):  # noqa: F811
    monkeypatch.setattr(lifecycle_demo, "LARGE_APPLICATIONS", 40)
    demo.seed("large")
    large = count(db, Partner, Partner.name.like("Large %"))
    assert count(db, Agreement, Agreement.partner_id.in_(select(Partner.id).where(Partner.name.like("Large %")))) \
        == large + large // 5
    assert count(db, Application, Application.number.like("APP-L%")) == 40
    reviewed = count(db, Application, Application.number.like("APP-L%"), Application.status != "new")
    assert count(db, ApplicationReview) == 2 * (reviewed + 4)  # + the small demo's four scored applications
    demo.seed("large")
    assert count(db, Application, Application.number.like("APP-L%")) == 40
