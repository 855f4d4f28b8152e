"""The MDF demo data: budgets for the demo partners, Northwind's paid claim, approval and waiting request —
once, however often the seed runs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import demo
from portal.mdf.models import MdfBudget, MdfRequest
from portal.mdf.service import current_period, figures
from portal.partners.models import Partner


@pytest.mark.pg
def test_the_demo_has_budgets_and_requests_in_every_stage_once(db):
    demo.seed("small")
    demo.seed("small")
    assert db.session.scalar(select(func.count()).select_from(MdfBudget)) == 4
    statuses = sorted(db.session.scalars(select(MdfRequest.status)))
    assert statuses == ["approved", "paid", "submitted"]
    northwind = db.session.scalar(select(Partner).where(Partner.name == "Northwind Trading"))
    now = figures([northwind.id], [current_period()])[(northwind.id, *current_period())][0]
    assert (now.allocated, now.committed, now.paid, now.remaining, now.waiting) == (
        5_000_000, 800_000, 0, 4_200_000, 1_200_000)
