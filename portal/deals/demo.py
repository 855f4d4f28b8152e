"""Demo deal registrations: a conflicting pair (two partners, one customer, two spellings), a protected deal
that expires soon, a won one; the large seed adds LARGE_DEALS open registrations for the conflict-check bench.
A second run adds nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.catalogue.models import Product
from portal.core.time import utcnow
from portal.deals import matching
from portal.deals.models import Deal, DealEvent, DealLine
from portal.extensions import db
from portal.partners.models import Partner

LARGE_DEALS = 100_000
# (partner, registrant, customer, website, days ago, status, protection days left)
SMALL = [
    ("Northwind Trading", "ben@northwind.demo.test", "Contoso Robotics GmbH", "https://www.contoso-robotics.de",
     3, "submitted", None),
    ("东风贸易有限公司 (Eastwind)", "dai@eastwind.demo.test", "CONTOSO Robotics AG", "sales@contoso-robotics.de",
     1, "submitted", None),
    ("Northwind Trading", "anna@northwind.demo.test", "Fabrikam Foods Ltd", "fabrikam-foods.co.uk", 80, "approved",
     10),
    ("东风贸易有限公司 (Eastwind)", "chen@eastwind.demo.test", "深圳市騰訊計算機系統有限責任公司", "tencent.com", 40,
     "approved", 50),
    ("Northwind Trading", "anna@northwind.demo.test", "Tailspin Toys plc", "tailspintoys.com", 120, "won", None),
]
WORDS = ("Alpha", "Nova", "Vertex", "Orbit", "Cedar", "Harbor", "Summit", "Pioneer", "Lumen", "Atlas", "Quartz",
         "Meridian", "Zenith", "Granite", "Falcon", "Willow", "Beacon", "Crescent", "Evergreen", "Ironwood")
TRADES = ("Robotics", "Foods", "Logistics", "Textiles", "Pharma", "Energy", "Motors", "Systems", "Media", "Mining")


def seed(scale: str = "small") -> str | None:
    added = _small()
    if scale == "large":
        added += _large()
    return f"{added} deal registrations" if added else None


def _small() -> int:
    now = utcnow()
    product = db.session.scalar(select(Product).where(Product.active.is_(True)).order_by(Product.id).limit(1))
    added = 0
    for partner_name, email, customer, website, days_ago, status, days_left in SMALL:
        partner = db.session.scalar(select(Partner).where(Partner.name == partner_name))
        user = db.session.scalar(select(User).where(User.email == email))
        if partner is None or user is None or db.session.scalar(select(Deal.id).where(
                Deal.partner_id == partner.id, Deal.customer_name == customer)):
            continue
        keys = matching.keys_of(customer, website)
        created = now - timedelta(days=days_ago)
        conflicting = bool(db.session.scalar(select(Deal.id).where(Deal.domain_key == keys.domain_key,
                                                                   Deal.status == "submitted")))
        deal = Deal(partner_id=partner.id, registered_by=user.id, customer_name=customer, customer_domain=website,
                    region=partner.region, currency="USD", estimated_value_cents=random.Random(customer).randrange(
                        1_000_000, 50_000_000, 100), expected_close=(now + timedelta(days=60)).date(), notes="",
                    status=status, created_at=created, had_conflict=conflicting, name_key=keys.name_key,
                    **matching.anchors(keys.name_key), domain_key=keys.domain_key)
        if status in ("approved", "won"):
            deal.decided_at = created + timedelta(days=1)
            deal.protection_ends_at = now + timedelta(days=days_left or -1)
        if status == "won":
            deal.won_value_cents, deal.won_on, deal.closed_at = deal.estimated_value_cents, (now - timedelta(
                days=5)).date(), now - timedelta(days=5)
        db.session.add(deal)
        db.session.flush()
        if product is not None:
            db.session.add(DealLine(deal_id=deal.id, product_id=product.id, sku=product.sku, name=product.name,
                                    quantity=5))
        db.session.add(DealEvent(deal_id=deal.id, actor_id=user.id, from_status="", to_status="submitted",
                                 at=created))
        if status != "submitted":
            db.session.add(DealEvent(deal_id=deal.id, from_status="submitted", to_status="approved",
                                     at=created + timedelta(days=1)))
        added += 1
    db.session.flush()
    return added


def _large() -> int:
    """LARGE_DEALS open registrations spread over the large partners, inserted in bulk (once)."""
    from portal.demo import insert_rows

    partner_ids = list(db.session.scalars(select(Partner.id).where(Partner.name.like("Large %")).order_by(Partner.id)))
    if not partner_ids or db.session.scalar(select(func.count()).select_from(Deal).where(
            Deal.partner_id.in_(partner_ids[:1]))):
        return 0
    rng, now = random.Random(12), utcnow()
    rows = []
    for i in range(LARGE_DEALS):
        customer = f"{rng.choice(WORDS)} {rng.choice(TRADES)} {i:06d} Ltd"
        # one registrable domain each (sub-domains of one shared domain would all be "the same customer")
        keys = matching.keys_of(customer, f"www.customer{i:06d}.com")
        approved = i % 3 == 0
        rows.append({"partner_id": partner_ids[i % len(partner_ids)], "registered_by": None,
                     "customer_name": customer, "customer_domain": f"customer{i:06d}.com",
                     "company_id": None, "contact_name": "", "contact_email": "", "region": "EMEA",
                     "currency": "USD", "estimated_value_cents": 1_000_000 + i, "expected_close": (
                         now + timedelta(days=90)).date(), "notes": "",
                     "status": "approved" if approved else "submitted", "created_at": now - timedelta(minutes=i),
                     "decided_at": None, "decided_by": None, "reason": "",
                     "protection_ends_at": now + timedelta(days=1 + i % 89) if approved else None,
                     "extended_at": None, "closed_at": None, "won_value_cents": None, "won_on": None,
                     "reminded_14_at": None, "reminded_7_at": None, "had_conflict": False,
                     "name_key": keys.name_key, **matching.anchors(keys.name_key), "domain_key": keys.domain_key})
    insert_rows(Deal, rows)
    return LARGE_DEALS
