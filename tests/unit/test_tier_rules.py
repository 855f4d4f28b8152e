"""The tier rule at its boundaries, and trailing revenue = delivered lines − accepted credits, for all partners
in one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.catalogue.models import Tier
from portal.core.time import utcnow
from portal.orders.models import Credit, Order, OrderLine
from portal.partners import tiers
from tests import factories

pytestmark = pytest.mark.pg


def ladder(certified_needed: int = 0) -> list[Tier]:
    """Registered 0, Silver 100,000.00, Gold 250,000.00 (+ certified people), Platinum 1,000,000.00."""
    return [Tier(id=1, name="Registered", rank=0, min_revenue_cents=0, min_certified=0),
            Tier(id=2, name="Silver", rank=1, min_revenue_cents=10_000_000, min_certified=0),
            Tier(id=3, name="Gold", rank=2, min_revenue_cents=25_000_000, min_certified=certified_needed),
            Tier(id=4, name="Platinum", rank=3, min_revenue_cents=100_000_000, min_certified=certified_needed)]


def test_revenue_exactly_at_the_minimum_qualifies_and_one_cent_less_does_not():
    assert tiers.propose(ladder(), 1, 10_000_000, None).to_tier.name == "Silver"
    assert tiers.propose(ladder(), 1, 9_999_999, None) is None


def test_a_partner_is_promoted_to_the_highest_tier_it_qualifies_for():
    proposal = tiers.propose(ladder(), 1, 25_000_000, None)
    assert (proposal.direction, proposal.to_tier.name) == ("promote", "Gold")


def test_a_partner_below_its_tiers_minimum_is_demoted_to_the_tier_it_still_meets():
    proposal = tiers.propose(ladder(), 4, 24_999_999, None)
    assert (proposal.direction, proposal.to_tier.name) == ("demote", "Silver")


def test_a_partner_meeting_its_tier_stays():
    assert tiers.propose(ladder(), 3, 25_000_000, None) is None
    assert tiers.propose(ladder(), 3, 99_999_999, None) is None


def test_a_partner_without_a_tier_gets_the_one_it_qualifies_for():
    assert tiers.propose(ladder(), None, 0, None).to_tier.name == "Registered"


def test_an_unmeasured_certified_requirement_never_passes_silently():
    # Gold needs 2 certified people; enablement is not measured: Gold is not proposed, the partner is held
    proposal = tiers.propose(ladder(certified_needed=2), 2, 30_000_000, None)
    assert (proposal.direction, proposal.to_tier.name) == ("hold", "Gold")
    gold = next(a for a in proposal.assessments if a.tier.name == "Gold")
    assert gold.status == "unknown"
    assert [r.met for r in gold.requirements] == [True, None]


def test_an_unmeasured_requirement_does_not_demote_by_itself():
    assert tiers.propose(ladder(certified_needed=2), 3, 30_000_000, None) is None


def test_certified_people_at_the_minimum_qualify_and_one_fewer_demotes():
    assert tiers.propose(ladder(certified_needed=2), 2, 30_000_000, 2).to_tier.name == "Gold"
    proposal = tiers.propose(ladder(certified_needed=2), 3, 30_000_000, 1)
    assert (proposal.direction, proposal.to_tier.name) == ("demote", "Silver")


def test_the_distance_to_the_next_tier_names_what_is_missing():
    gold = tiers.assess(ladder(certified_needed=2)[2], 20_000_000, 1)
    assert [(r.kind, r.shortfall) for r in gold.requirements] == [("revenue", 5_000_000), ("certified", 1)]


def _delivered(partner, cents: int, days_ago: int) -> Order:
    at = utcnow() - timedelta(days=days_ago)
    order = Order(partner_id=partner.id, idempotency_key=f"k{partner.id}-{days_ago}-{cents}", po_number="PO",
                  shipping_address="x", requested_date=at.date(), status="delivered", currency="USD",
                  total_cents=cents, created_at=at - timedelta(days=3), delivered_at=at)
    from portal.extensions import db

    db.session.add(order)
    db.session.flush()
    db.session.add(OrderLine(order_id=order.id, sku="SKU", name="Thing", quantity=1, list_price_cents=cents,
                             net_unit_cents=cents, line_total_cents=cents))
    db.session.flush()
    return order


def test_trailing_revenue_is_delivered_lines_less_accepted_credits_in_the_window(db):
    from portal.orders.models import ReturnRequest

    first, second, quiet = factories.PartnerFactory(), factories.PartnerFactory(), factories.PartnerFactory()
    _delivered(first, 500_000, days_ago=10)
    _delivered(first, 200_000, days_ago=400)  # outside the 12 months
    order = _delivered(second, 300_000, days_ago=100)
    pending = Order(partner_id=second.id, idempotency_key="open", po_number="PO", shipping_address="x",
                    requested_date=utcnow().date(), status="shipped", currency="USD", total_cents=900_000)
    db.session.add(pending)  # shipped, not delivered: not revenue yet
    db.session.flush()
    db.session.add(OrderLine(order_id=pending.id, sku="S", name="n", quantity=1, list_price_cents=900_000,
                             net_unit_cents=900_000, line_total_cents=900_000))
    ret = ReturnRequest(order_id=order.id, partner_id=second.id, reason="r", status="accepted")
    db.session.add(ret)
    db.session.flush()
    db.session.add(Credit(partner_id=second.id, order_id=order.id, return_id=ret.id, currency="USD",
                          total_cents=120_000, created_at=utcnow() - timedelta(days=50)))
    db.session.flush()
    revenue = tiers.trailing_revenue_cents(utcnow())
    assert revenue[first.id] == 500_000
    assert revenue[second.id] == 180_000
    assert quiet.id not in revenue
    assert tiers.trailing_revenue_cents(utcnow(), [second.id]) == {second.id: 180_000}


def test_trailing_revenue_is_one_statement_for_every_partner(db, count_queries):
    partners = [factories.PartnerFactory() for _ in range(5)]
    for i, partner in enumerate(partners):
        _delivered(partner, 1000 * (i + 1), days_ago=5)
    with count_queries() as counter:
        revenue = tiers.trailing_revenue_cents(utcnow())
    assert counter.count == 1
    assert [revenue[p.id] for p in partners] == [1000, 2000, 3000, 4000, 5000]
